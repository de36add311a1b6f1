"""Prompt validation with the same checks, error types and answer shape as ComfyUI's execution.py validate_prompt /
validate_inputs: missing required input, bad link, return type mismatch, INT/FLOAT/STRING conversion, min, max, value
not in list; a prompt whose outputs partly validate is accepted with node_errors for the rest."""
from typing import Any

from .node_types import FLOAT, INT, STRING


def _error(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def validate_prompt(prompt: Any, types: dict[str, dict]) -> tuple[bool, dict | None, list[str], dict]:
    """(valid, error, good output ids, node_errors), as ComfyUI's execution.validate_prompt returns them."""
    if not isinstance(prompt, dict):
        return False, _error("invalid_prompt", "Prompt must be an object", ""), [], {}
    outputs = []
    for node_id, node in prompt.items():
        if "class_type" not in node:
            return False, _error("invalid_prompt", "Cannot execute because a node is missing the class_type property.",
                                 f"Node ID '#{node_id}'"), [], {}
        if node["class_type"] not in types:
            return False, _error("invalid_prompt", f"Cannot execute because node {node['class_type']} does not exist.",
                                 f"Node ID '#{node_id}'"), [], {}
        if types[node["class_type"]].get("output"):
            outputs.append(node_id)
    if not outputs:
        return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}
    validated: dict[str, tuple[bool, list]] = {}
    good, node_errors = [], {}
    for output in outputs:
        if _valid(prompt, output, types, validated):
            good.append(output)
            continue
        for node_id, (_, reasons) in validated.items():
            if reasons:
                entry = node_errors.setdefault(node_id, {"errors": reasons, "dependent_outputs": [],
                                                         "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(output)
    if not good:
        details = "\n".join(f"{e['message']}: {e['details']}" for n in node_errors.values() for e in n["errors"])
        return False, _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details), [], node_errors
    return True, None, good, node_errors


def _valid(prompt: dict, node_id: str, types: dict, validated: dict[str, tuple[bool, list]]) -> bool:
    """validated[node] = (valid, its own errors); a node is invalid when it or anything upstream has errors."""
    if node_id in validated:
        return validated[node_id][0]
    node, spec = prompt[node_id], types[prompt[node_id]["class_type"]]
    errors: list[dict] = []
    upstream_ok = True
    for name, (kind, options) in spec["required"].items():
        if name not in node.get("inputs", {}):
            errors.append(_error("required_input_missing", "Required input is missing", name, input_name=name))
            continue
        problem, ok = _check_input(prompt, name, node["inputs"][name], kind, options, types, validated)
        upstream_ok = upstream_ok and ok
        if problem:
            errors.append(problem)
    for name, value in node.get("inputs", {}).items():
        if name in spec.get("optional", {}) and isinstance(value, list):
            kind, options = spec["optional"][name]
            problem, ok = _check_input(prompt, name, value, kind, options, types, validated)
            upstream_ok = upstream_ok and ok
            if problem:
                errors.append(problem)
    validated[node_id] = (not errors and upstream_ok, errors)
    return validated[node_id][0]


def _check_input(prompt, name, value, kind, options, types, validated) -> tuple[dict | None, bool]:
    if not isinstance(value, list):
        return _check_value(name, value, kind, options), True
    if len(value) != 2 or value[0] not in prompt:
        return _error("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                      name, input_name=name, received_value=value), True
    returns = types[prompt[value[0]]["class_type"]]["returns"]
    if not isinstance(value[1], int) or value[1] >= len(returns) or returns[value[1]] != kind:
        received = returns[value[1]] if isinstance(value[1], int) and value[1] < len(returns) else None
        return _error("return_type_mismatch", "Return type mismatch between linked nodes",
                      f"{name}, received_type({received}) mismatch input_type({kind})", input_name=name), True
    return None, _valid(prompt, value[0], types, validated)


def _check_value(name: str, value: Any, kind: Any, options: dict) -> dict | None:
    try:
        if kind == INT:
            value = int(value)
        elif kind == FLOAT:
            value = float(value)
        elif kind == STRING:
            value = str(value)
    except (TypeError, ValueError) as error:
        return _error("invalid_input_type", f"Failed to convert an input value to a {kind} value",
                      f"{name}, {value}, {error}", input_name=name)
    if "min" in options and value < options["min"]:
        return _error("value_smaller_than_min", f"Value {value} smaller than min of {options['min']}", name, input_name=name)
    if "max" in options and value > options["max"]:
        return _error("value_bigger_than_max", f"Value {value} bigger than max of {options['max']}", name, input_name=name)
    if isinstance(kind, list) and value not in kind:
        return _error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {kind}", input_name=name)
    return None
