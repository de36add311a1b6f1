"""One job, start to end: validate, generate, deliver each image as it exists, report, complete or fail."""
import logging
from typing import Any

import requests

from . import images
from .delivery import PresignedStore, VolumeStore, prepare
from .engines import Engine, GenerationRequest, create_engine
from .errors import EngineFailed, JobFailed, WebhookUndelivered
from .events import completed_event, failed_event, image_event, volume_completion
from .inputs import fetch_image
from .job_input import HandlerInput, failure_target, parse_input
from .progress import ProgressReporter, runpod_progress
from .settings import Settings
from .webhooks import WebhookClient

log = logging.getLogger(__name__)


def handle(job: dict[str, Any], settings: Settings | None = None, engine: Engine | None = None) -> dict[str, Any]:
    """RunPod's job in, the small result out: {"images": [...]} or {"error": "..."}; never raises."""
    raw = job.get("input") if isinstance(job, dict) else None
    with requests.Session() as session:
        try:
            settings = settings or Settings.from_env()
            run = JobRun(parse_input(raw), engine or create_engine(settings), session, settings, job)
        except JobFailed as error:
            message = str(error)
        except Exception as error:
            log.exception("job refused: unexpected failure before it started")
            message = f"internal error in the handler: {type(error).__name__}: {error}"
        else:
            return run.run()
        _report_unparsed_failure(raw, message, session, settings or Settings())
        return {"error": message}


def _report_unparsed_failure(raw: Any, error: str, session: requests.Session, settings: Settings) -> None:
    target = failure_target(raw)
    if target is None:
        log.error("job refused and no usable callback to tell: %s", error)
        return
    job_id, url, secret = target
    try:
        WebhookClient(url, secret, session, settings.retry, settings.http_timeout).send(failed_event(job_id, error))
    except (JobFailed, WebhookUndelivered) as problem:
        log.error("failed webhook not delivered: %s", problem)


class JobRun:
    """Also the engine's ImageSink: each image is stored and announced before the engine goes on."""

    def __init__(self, job: HandlerInput, engine: Engine, session: requests.Session, settings: Settings, runpod_job: dict):
        self.job, self.engine, self.session, self.settings = job, engine, session, settings
        self.webhooks = WebhookClient(job.callback_url, job.callback_secret, session, settings.retry, settings.http_timeout)
        self.store = (
            VolumeStore(job.volume_mount) if job.uses_volume
            else PresignedStore(session, settings.retry, settings.http_timeout)
        )
        self.reporter = ProgressReporter(job.job_id, self.webhooks, settings.progress_interval, runpod_progress(runpod_job))
        self.delivered: dict[int, dict[str, Any]] = {}

    def run(self) -> dict[str, Any]:
        try:
            self.reporter.report(0, "started")
            self.engine.generate(self._request(), self)
            return {"images": self._complete()}
        except JobFailed as error:
            return self._fail(str(error))
        except Exception as error:
            log.exception("job %s: unexpected failure", self.job.job_id)
            return self._fail(f"internal error in the handler: {type(error).__name__}: {error}")

    def _request(self) -> GenerationRequest:
        style = content = None
        if self.job.type == "style-transfer":
            self.reporter.report(1, "fetching input images")
            style = self._fetch("inputs.style_image_url", self.job.style_image_url)
            content = self._fetch("inputs.content_image_url", self.job.content_image_url)
        return GenerationRequest(self.job.job_id, self.job.type, self.job.params, style, content)

    def _fetch(self, name: str, url: str | None) -> bytes:
        settings = self.settings
        return fetch_image(self.session, name, url or "", settings.retry, settings.http_timeout, settings.max_input_bytes)

    def progress(self, fraction: float, message: str | None = None) -> None:
        self.reporter.report(5 + 90 * max(0.0, min(1.0, fraction)), message)

    def image(self, position: int, data: bytes) -> None:
        targets = self.job.targets
        if not 0 <= position < len(targets):
            raise EngineFailed(f"the engine made image {position}, but the job has {len(targets)} outputs")
        if position in self.delivered:
            raise EngineFailed(f"the engine made image {position} twice")
        target = targets[position]
        body, content_type = prepare(target, data)
        self.store.put(target, body, content_type)
        metadata = images.metadata(target.index, target.key, body)
        self.delivered[position] = metadata
        try:
            self.webhooks.send(image_event(self.job.job_id, metadata, len(targets)))
        except WebhookUndelivered as error:
            log.warning("job %s: image %d stored but not announced (%s); the completion lists it",
                        self.job.job_id, target.index, error)

    def _complete(self) -> list[dict[str, Any]]:
        expected = len(self.job.targets)
        if len(self.delivered) != expected:
            missing = sorted(set(range(expected)) - set(self.delivered))
            raise EngineFailed(f"the engine finished with {len(self.delivered)} of {expected} images (missing {missing})")
        delivered = [self.delivered[p] for p in range(expected)]
        if self.job.uses_volume:
            body, schema = volume_completion(self.job.job_id, delivered, self.job.volume_mount), "legacy-status-message"
        else:
            body, schema = completed_event(self.job.job_id, delivered), "webhook-event"
        try:
            self.webhooks.send(body, schema=schema)
        except WebhookUndelivered as error:
            log.warning("job %s: completion not delivered (%s); RunPod's result carries it", self.job.job_id, error)
        return delivered

    def _fail(self, error: str) -> dict[str, Any]:
        log.error("job %s failed: %s", self.job.job_id, error)
        try:
            self.webhooks.send(failed_event(self.job.job_id, error))
        except (JobFailed, WebhookUndelivered) as problem:
            log.error("job %s: failed webhook not delivered: %s", self.job.job_id, problem)
        return {"error": error}
