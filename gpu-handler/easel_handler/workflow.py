"""ComfyUI API-format workflows, with the job's params written into the nodes titled `easel.*`.

A workflow file is plain ComfyUI API JSON (Export (API) in ComfyUI); the handler finds the nodes it
fills by their `_meta.title`, so a deployment can swap in its own workflow by keeping those titles.
"""
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EngineFailed
from .job_input import Params

REQUIRED_ROLES = {
    "text-to-image": ("easel.positive", "easel.negative", "easel.sampler", "easel.save", "easel.latent"),
    "style-transfer": ("easel.positive", "easel.negative", "easel.sampler", "easel.save",
                       "easel.content_image", "easel.style_image", "easel.content_size", "easel.style"),
}


@dataclass(frozen=True)
class Workflow:
    prompt: dict[str, Any]
    save_nodes: dict[str, int]  # SaveImage node id -> which image of the job it makes


def load_template(workflow_dir: Path, job_type: str) -> dict[str, Any]:
    path = Path(workflow_dir) / f"{job_type}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise EngineFailed(f"workflow {path} cannot be read: {error}") from None


def build_workflow(template: dict[str, Any], job_type: str, params: Params, *, prefix: str,
                   uploads: dict[str, str] | None = None, checkpoint: str | None = None) -> Workflow:
    """The template with params written in and the sampler's chain repeated once per image.

    One chain per image (not one batch) so each image is saved, and so delivered, as soon as it is decoded.
    """
    prompt = copy.deepcopy(template)
    nodes = _nodes_by_role(prompt, job_type)
    _write_params(prompt, nodes, job_type, params, uploads or {}, checkpoint)
    if len(nodes["easel.sampler"]) != 1:
        raise EngineFailed(f"{job_type} workflow: expected one node titled easel.sampler")
    sampler_id = nodes["easel.sampler"][0]
    chain = _downstream(prompt, sampler_id)
    save_ids = [node_id for node_id in chain if _title(prompt[node_id]) == "easel.save"]
    if len(save_ids) != 1:
        raise EngineFailed(f"{job_type} workflow: expected one easel.save node after easel.sampler, found {len(save_ids)}")
    prompt[save_ids[0]]["inputs"]["filename_prefix"] = f"{prefix}_0"
    save_nodes = {save_ids[0]: 0}
    for position in range(1, params.num_images):
        renamed = _copy_chain(prompt, chain)
        prompt[renamed[sampler_id]]["inputs"]["seed"] = params.seed + position
        prompt[renamed[save_ids[0]]]["inputs"]["filename_prefix"] = f"{prefix}_{position}"
        save_nodes[renamed[save_ids[0]]] = position
    return Workflow(prompt, save_nodes)


def _title(node: dict[str, Any]) -> str:
    return (node.get("_meta") or {}).get("title", "")


def _nodes_by_role(prompt: dict[str, Any], job_type: str) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    for node_id, node in prompt.items():
        if _title(node).startswith("easel."):
            roles.setdefault(_title(node), []).append(node_id)
    missing = [role for role in REQUIRED_ROLES.get(job_type, ()) if role not in roles]
    if job_type not in REQUIRED_ROLES or missing:
        raise EngineFailed(f"{job_type} workflow has no node titled {', '.join(missing) or 'for this job type'}")
    return roles


def _write_params(prompt: dict[str, Any], nodes: dict[str, list[str]], job_type: str, params: Params,
                  uploads: dict[str, str], checkpoint: str | None) -> None:
    def set_inputs(role: str, **values: Any) -> None:
        for node_id in nodes.get(role, []):
            prompt[node_id].setdefault("inputs", {}).update(values)

    set_inputs("easel.positive", text=params.prompt)
    set_inputs("easel.negative", text=params.negative_prompt)
    set_inputs("easel.sampler", seed=params.seed, steps=params.steps)
    if checkpoint:
        set_inputs("easel.checkpoint", ckpt_name=checkpoint)
    if job_type == "text-to-image":
        set_inputs("easel.latent", width=params.width, height=params.height, batch_size=1)
        return
    if params.strength is not None:
        # How strongly the style image's style is applied: IPAdapter's weight, in its "style transfer" mode.
        set_inputs("easel.style", weight=params.strength)
    set_inputs("easel.content_size", width=params.width, height=params.height)
    for role in ("easel.content_image", "easel.style_image"):
        if role not in uploads:
            raise EngineFailed(f"style-transfer workflow: no uploaded image for {role}")
        set_inputs(role, image=uploads[role])


def _links(node: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, value[0]) for name, value in node.get("inputs", {}).items() if _is_link(value)]


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)


def _downstream(prompt: dict[str, Any], start: str) -> list[str]:
    """start and every node that (transitively) takes its output, in prompt order."""
    chain = {start}
    grew = True
    while grew:
        grew = False
        for node_id, node in prompt.items():
            if node_id not in chain and any(source in chain for _, source in _links(node)):
                chain.add(node_id)
                grew = True
    return [node_id for node_id in prompt if node_id in chain]


def _copy_chain(prompt: dict[str, Any], chain: list[str]) -> dict[str, str]:
    """Adds a copy of the chain under fresh numeric ids, links inside it re-pointed; returns old -> new id."""
    next_id = max((int(i) for i in prompt if re.fullmatch(r"\d+", i)), default=0) + 1
    renamed = {old: str(next_id + offset) for offset, old in enumerate(chain)}
    for old, new in renamed.items():
        node = copy.deepcopy(prompt[old])
        for name, source in _links(node):
            if source in renamed:
                node["inputs"][name] = [renamed[source], node["inputs"][name][1]]
        prompt[new] = node
    return renamed
