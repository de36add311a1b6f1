"""The shared vectors in schema/vectors, against the exported JSON Schema the handler validates with."""
import json

import pytest

from easel_handler import contract, job_input
from easel_handler.errors import BadInput
from easel_handler.settings import DEFAULT_SCHEMA_DIR

VECTORS = DEFAULT_SCHEMA_DIR.parent / "vectors"


def load(name):
    return json.loads((VECTORS / f"{name}.json").read_text())


def cases(name, kind):
    return [pytest.param(v, id=v["name"]) for v in load(name)[kind]]


def legacy_schema(payload):
    # The Worker's normaliser picks the shape the same way: a `status` means a status message.
    return "legacy-status-message" if isinstance(payload, dict) and "status" in payload else "legacy-image-message"


# Rules of normalise.ts (code, not schema): the JSON Schema cannot reject these.
LEGACY_RULES_IN_CODE_ONLY = {
    "per-image message with neither key nor data",
    "per-image message without an index",
    "chunk past the last",
}


@pytest.mark.parametrize("vector", cases("handler-input", "valid"))
def test_valid_handler_inputs_validate_and_parse(vector):
    assert contract.issues("handler-input", vector["payload"]) == []
    assert job_input.parse_input(vector["payload"]).job_id == vector["payload"]["job_id"]


@pytest.mark.parametrize("vector", cases("handler-input", "invalid"))
def test_invalid_handler_inputs_are_refused_at_their_path(vector):
    with pytest.raises(BadInput) as refused:
        job_input.parse_input(vector["payload"])
    assert vector["path"] in [path for path, _ in refused.value.issues]


@pytest.mark.parametrize("vector", cases("webhook-event", "valid"))
def test_valid_webhook_events_validate(vector):
    assert contract.issues("webhook-event", vector["payload"]) == []


@pytest.mark.parametrize("vector", cases("webhook-event", "invalid"))
def test_invalid_webhook_events_do_not_validate(vector):
    assert contract.issues("webhook-event", vector["payload"]) != []


@pytest.mark.parametrize("vector", cases("legacy-webhooks", "valid"))
def test_valid_legacy_messages_validate(vector):
    assert contract.issues(legacy_schema(vector["payload"]), vector["payload"]) == []


@pytest.mark.parametrize("vector", cases("legacy-webhooks", "invalid"))
def test_invalid_legacy_messages_do_not_validate_unless_the_rule_lives_in_code(vector):
    problems = contract.issues(legacy_schema(vector["payload"]), vector["payload"])
    if vector["name"] in LEGACY_RULES_IN_CODE_ONLY:
        assert problems == [], "the schema now rejects this: drop it from LEGACY_RULES_IN_CODE_ONLY"
    else:
        assert problems != []


def test_every_vector_file_is_read():
    assert {p.stem for p in VECTORS.glob("*.json")} == {"handler-input", "webhook-event", "legacy-webhooks"}
