"""The contract, read from the JSON Schema exported from schema/ (the files the Worker's tests use)."""
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .settings import schema_dir

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")

# jsonschema only checks "uri" when an optional package is present; check it ourselves so a
# malformed URL is refused here as the zod contract refuses it.
_formats = FormatChecker(formats=())
_formats.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))


@lru_cache(maxsize=None)
def _validator(name: str, directory: str) -> Draft202012Validator:
    path = Path(directory) / f"{name}.schema.json"
    try:
        schema = json.loads(path.read_text())
    except FileNotFoundError:
        raise RuntimeError(f"contract schema {path} not found (set EASEL_SCHEMA_DIR to schema/json)") from None
    return Draft202012Validator(schema, format_checker=_formats)


def validator(name: str) -> Draft202012Validator:
    return _validator(name, str(schema_dir()))


def issues(name: str, payload: Any) -> list[tuple[str, str]]:
    """(dotted path, message) for every way payload breaks the named schema; empty when it conforms."""
    return sorted(_describe_error(e) for e in _leaf_errors(validator(name).iter_errors(payload)))


def _leaf_errors(errors) -> list:
    """Errors inside the union branch the payload meant (the one whose discriminator const matched)."""
    leaves = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branches: dict[Any, list] = {}
            for sub in error.context:
                branches.setdefault(sub.schema_path[0], []).append(sub)
            meant = [b for b in branches.values() if not any(sub.validator == "const" for sub in b)]
            leaves += _leaf_errors(min(meant or branches.values(), key=len))
        else:
            leaves.append(error)
    return leaves


def _describe_error(error) -> tuple[str, str]:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        path += [p for p in error.validator_value if p not in error.instance][:1]
    return ".".join(path), error.message


def check(name: str, payload: Any) -> None:
    """Raises ValueError when a payload the handler built breaks the contract: a bug, never sent."""
    problems = issues(name, payload)
    if problems:
        raise ValueError(f"handler built a {name} that breaks the contract: {describe(problems)}")


def describe(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{path or '(root)'}: {message}" for path, message in problems[:8])
