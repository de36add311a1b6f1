"""Workflows: the job's params written into the `easel.*` nodes, one sampler chain per image."""
import pytest

from easel_handler.job_input import Params
from easel_handler.errors import EngineFailed
from easel_handler.settings import DEFAULT_WORKFLOW_DIR
from easel_handler.workflow import build_workflow, load_template
from tests.support.comfy.node_types import node_types
from tests.support.comfy.validation import validate_prompt

PARAMS = Params("a lighthouse", "blurry", 768, 512, 25, 1000, 3, 0.45)
UPLOADS = {"easel.content_image": "c.png", "easel.style_image": "s.png"}


def build(job_type, params=PARAMS, **kwargs):
    return build_workflow(load_template(DEFAULT_WORKFLOW_DIR, job_type), job_type, params, prefix="easel/job_1",
                          uploads=UPLOADS, **kwargs)


def by_title(prompt, title):
    return [node for node in prompt.values() if node.get("_meta", {}).get("title") == title]


@pytest.mark.parametrize("job_type", ["text-to-image", "style-transfer"])
def test_one_sampler_and_save_per_image_with_consecutive_seeds(job_type):
    workflow = build(job_type)
    samplers = [n for n in workflow.prompt.values() if n["class_type"] == "KSampler"]
    assert sorted(s["inputs"]["seed"] for s in samplers) == [1000, 1001, 1002]
    assert all(s["inputs"]["steps"] == 25 for s in samplers)
    assert sorted(workflow.save_nodes.values()) == [0, 1, 2]
    prefixes = {workflow.prompt[n]["inputs"]["filename_prefix"]: p for n, p in workflow.save_nodes.items()}
    assert prefixes == {"easel/job_1_0": 0, "easel/job_1_1": 1, "easel/job_1_2": 2}
    assert len([n for n in workflow.prompt.values() if n["class_type"] == "CheckpointLoaderSimple"]) == 1


@pytest.mark.parametrize("job_type", ["text-to-image", "style-transfer"])
def test_the_built_workflow_passes_validation_against_the_real_node_definitions(job_type):
    types = node_types(["sd_xl_base_1.0.safetensors"], ["c.png", "s.png"])
    valid, error, outputs, node_errors = validate_prompt(build(job_type).prompt, types)
    assert (valid, error, node_errors, len(outputs)) == (True, None, {}, 3)


def test_a_style_transfer_with_an_input_ipadapter_does_not_have_is_refused():
    prompt = build("style-transfer").prompt
    by_title(prompt, "easel.style")[0]["inputs"]["weight_type"] = "style blend"  # not one of IPAdapter's WEIGHT_TYPES
    types = node_types(["sd_xl_base_1.0.safetensors"], ["c.png", "s.png"])
    valid, error, _, node_errors = validate_prompt(prompt, types)
    assert not valid and error["type"] == "prompt_outputs_failed_validation"
    assert {e["type"] for n in node_errors.values() for e in n["errors"]} == {"value_not_in_list"}


def test_each_chain_links_to_its_own_sampler():
    workflow = build("text-to-image")
    seeds = {}
    for save_id, position in workflow.save_nodes.items():
        decode = workflow.prompt[workflow.prompt[save_id]["inputs"]["images"][0]]
        sampler = workflow.prompt[decode["inputs"]["samples"][0]]
        assert (decode["class_type"], sampler["class_type"]) == ("VAEDecode", "KSampler")
        seeds[position] = sampler["inputs"]["seed"]
    assert seeds == {0: 1000, 1: 1001, 2: 1002}


def test_text_to_image_params():
    prompt = build("text-to-image").prompt
    assert by_title(prompt, "easel.positive")[0]["inputs"]["text"] == "a lighthouse"
    assert by_title(prompt, "easel.negative")[0]["inputs"]["text"] == "blurry"
    assert by_title(prompt, "easel.latent")[0]["inputs"] == {"width": 768, "height": 512, "batch_size": 1}
    assert by_title(prompt, "easel.sampler")[0]["inputs"]["denoise"] == 1.0


def test_style_transfer_params():
    prompt = build("style-transfer").prompt
    assert by_title(prompt, "easel.content_image")[0]["inputs"]["image"] == "c.png"
    assert by_title(prompt, "easel.style_image")[0]["inputs"]["image"] == "s.png"
    (style,) = by_title(prompt, "easel.style")
    assert (style["class_type"], style["inputs"]["weight"], style["inputs"]["weight_type"]) == \
        ("IPAdapterAdvanced", 0.45, "style transfer")
    assert prompt[style["inputs"]["image"][0]] is by_title(prompt, "easel.style_image")[0]
    # strength governs the style's weight; the img2img denoise stays as the workflow sets it
    assert {n["inputs"]["denoise"] for n in prompt.values() if n["class_type"] == "KSampler"} == {0.7}
    size = by_title(prompt, "easel.content_size")[0]["inputs"]
    assert (size["width"], size["height"]) == (768, 512)


def test_checkpoint_override():
    prompt = build("text-to-image", checkpoint="flux1-dev-fp8.safetensors").prompt
    assert by_title(prompt, "easel.checkpoint")[0]["inputs"]["ckpt_name"] == "flux1-dev-fp8.safetensors"


def test_the_template_is_not_modified():
    template = load_template(DEFAULT_WORKFLOW_DIR, "text-to-image")
    before = repr(template)
    build_workflow(template, "text-to-image", PARAMS, prefix="p")
    assert repr(template) == before


def test_a_workflow_missing_an_easel_node_is_refused():
    template = load_template(DEFAULT_WORKFLOW_DIR, "text-to-image")
    del template["9"]["_meta"]
    with pytest.raises(EngineFailed, match="easel.save"):
        build_workflow(template, "text-to-image", PARAMS, prefix="p")


def test_a_missing_workflow_file_is_named(tmp_path):
    with pytest.raises(EngineFailed, match="text-to-image.json"):
        load_template(tmp_path, "text-to-image")
