"""The handler's input (contract v1): checked against the exported schema, then typed."""
from dataclasses import dataclass
from typing import Any

from .contract import describe, issues
from .errors import BadInput
from .webhooks import usable_secret

SUPPORTED_CONTRACTS = (1,)


@dataclass(frozen=True)
class Params:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    steps: int
    seed: int
    num_images: int
    strength: float | None = None


@dataclass(frozen=True)
class OutputTarget:
    index: int
    key: str
    upload_url: str | None
    headers: dict[str, str]


@dataclass(frozen=True)
class HandlerInput:
    job_id: str
    type: str
    params: Params
    style_image_url: str | None
    content_image_url: str | None
    style_image_path: str | None
    content_image_path: str | None
    outputs: tuple[OutputTarget, ...]
    volume_mount: str | None
    deadline_at: str | None
    callback_url: str
    callback_secret: str

    @property
    def targets(self) -> tuple[OutputTarget, ...]:
        """Outputs in index order: the engine's n-th image goes to the n-th of these."""
        return tuple(sorted(self.outputs, key=lambda o: o.index))

    @property
    def uses_volume(self) -> bool:
        return self.volume_mount is not None and not any(o.upload_url for o in self.outputs)


def parse_input(raw: Any) -> HandlerInput:
    """Validates RunPod's `input` against contract v1 and returns it typed; raises BadInput."""
    if not isinstance(raw, dict):
        raise BadInput("input must be a JSON object (contract v1)", [("", "expected an object")])
    version = raw.get("contract")
    if version not in SUPPORTED_CONTRACTS:
        supported = ", ".join(map(str, SUPPORTED_CONTRACTS))
        message = "input.contract is missing" if version is None else f"contract version {version!r} is not supported"
        raise BadInput(f"{message}: this handler speaks contract {supported}", [("contract", message)])
    problems = issues("handler-input", raw)
    if problems:
        raise BadInput(f"invalid input: {describe(problems)}", problems)
    parsed = _typed(raw)
    _check_consistency(parsed)
    return parsed


def _typed(raw: dict) -> HandlerInput:
    inputs = raw.get("inputs") or {}
    outputs = tuple(
        OutputTarget(o["index"], o["key"], o.get("upload_url"), dict(o.get("headers") or {}))
        for o in raw["outputs"]
    )
    return HandlerInput(
        job_id=raw["job_id"],
        type=raw["type"],
        params=Params(**raw["params"]),
        style_image_url=inputs.get("style_image_url"),
        content_image_url=inputs.get("content_image_url"),
        style_image_path=inputs.get("style_image_path"),
        content_image_path=inputs.get("content_image_path"),
        outputs=outputs,
        volume_mount=(raw.get("network_volume") or {}).get("mount_path"),
        deadline_at=raw.get("deadline_at"),
        callback_url=raw["callback"]["url"],
        callback_secret=raw["callback"]["secret"],
    )


def _check_consistency(job: HandlerInput) -> None:
    """What the schema cannot say: the parts of the input that must agree with each other."""
    problems = []
    indices = [o.index for o in job.outputs]
    if len(set(indices)) != len(indices):
        problems.append(("outputs", f"output indices repeat: {indices}"))
    if len(job.outputs) != job.params.num_images:
        problems.append(("outputs", f"{len(job.outputs)} outputs for params.num_images {job.params.num_images}"))
    presigned = [bool(o.upload_url) for o in job.outputs]
    if job.volume_mount is None:
        for position, has_url in enumerate(presigned):
            if not has_url:
                problems.append((f"outputs.{position}.upload_url", "missing, and the input has no network_volume"))
    elif any(presigned) and not all(presigned):
        problems.append(("outputs", "some outputs have an upload_url and some do not: presigned or network volume, not both"))
    if job.type == "style-transfer":
        for name in ("style_image", "content_image"):
            url, path = getattr(job, f"{name}_url"), getattr(job, f"{name}_path")
            if path and job.volume_mount is None:
                problems.append((f"inputs.{name}_path", "a path on the volume, and the input has no network_volume"))
            elif not url and not path:
                problems.append((f"inputs.{name}_url", "required for style-transfer (or inputs.{name}_path on a network volume)"))
    if not usable_secret(job.callback_secret):
        problems.append(("callback.secret", "not a whsec_ secret with a base64 key"))
    if problems:
        raise BadInput(f"invalid input: {describe(problems)}", problems)


def failure_target(raw: Any) -> tuple[str, str, str] | None:
    """(job_id, callback url, secret) from an input too broken to parse, if enough of it is usable."""
    if not isinstance(raw, dict) or not isinstance(raw.get("callback"), dict):
        return None
    job_id, url, secret = raw.get("job_id"), raw["callback"].get("url"), raw["callback"].get("secret")
    usable = (
        isinstance(job_id, str) and 0 < len(job_id) <= 64
        and isinstance(url, str) and url.startswith(("http://", "https://"))
        and isinstance(secret, str) and secret.startswith("whsec_") and usable_secret(secret)
    )
    return (job_id, url, secret) if usable else None
