"""One job, start to end: validate, generate, deliver each image off the generation path, complete or fail."""
from dataclasses import replace
from typing import Any

import requests

from . import images
from .announcer import Announcer
from .deadline import Deadline
from .delivery_queue import DeliveryQueue, Load
from .engines import Engine, GenerationRequest, create_engine
from .errors import EngineFailed, JobFailed, WebhookUndelivered
from .events import completed_event, failed_event, image_event, progress_event
from .inputs import fetch_image, read_from_volume
from .job_input import HandlerInput, failure_target, parse_input
from .log import get_logger
from .progress import ProgressReporter, runpod_progress
from .retry import Patience, RetryPolicy
from .settings import Settings
from .stop import WORKER, JobStop
from .stores import PresignedStore, VolumeStore, prepare
from .volume import VolumeMount
from .webhooks import WebhookClient

log = get_logger(__name__)

PROGRESS_TIMEOUT = 5.0  # a progress update is replaced by the next: one short attempt, never a retry


def handle(job: dict[str, Any], settings: Settings | None = None, engine: Engine | None = None,
           stop: JobStop | None = None) -> dict[str, Any]:
    """RunPod's job in, the small result out: {"images": [...]} or {"error": "..."}; never raises.

    `stop` lets the caller end the job from outside (RunPod's cancel, the worker shutting down)."""
    raw = job.get("input") if isinstance(job, dict) else None
    stop = stop or JobStop()
    with requests.Session() as session:
        try:
            settings = settings or Settings.from_env()
            run = JobRun(parse_input(raw), engine or create_engine(settings), session, settings, job, stop)
        except JobFailed as error:
            message = str(error)
        except Exception as error:
            log.exception("job refused: unexpected failure before it started")
            message = f"internal error in the handler: {type(error).__name__}: {error}"
        else:
            return run.run()
        _report_unparsed_failure(raw, _runpod_id(job), message, session, settings or Settings())
        return {"error": message}


def _runpod_id(job: Any) -> str | None:
    value = job.get("id") if isinstance(job, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 128 else None


def _report_unparsed_failure(raw: Any, runpod_job_id: str | None, error: str, session: requests.Session,
                             settings: Settings) -> None:
    target = failure_target(raw)
    if target is None:
        log.error("job refused and no usable callback to tell: %s", error)
        return
    job_id, url, secret = target
    patience = Patience(settings.retry, JobStop(), Deadline.none(), settings.http_timeout)
    try:
        Announcer(WebhookClient(url, secret, session, patience), runpod_job_id, JobStop()).send(failed_event(job_id, error))
    except (JobFailed, WebhookUndelivered) as problem:
        log.error("failed webhook not delivered: %s", problem)


class JobRun:
    """Also the engine's ImageSink: each image is queued for delivery and the engine goes on at once."""

    def __init__(self, job: HandlerInput, engine: Engine, session: requests.Session, settings: Settings,
                 runpod_job: dict, stop: JobStop):
        self.job, self.engine, self.session, self.settings, self.stop = job, engine, session, settings, stop
        self.deadline = Deadline.from_input(job.deadline_at, settings.deadline_margin)
        self.patience = Patience(settings.retry, stop, self.deadline, settings.http_timeout)
        webhooks = WebhookClient(job.callback_url, job.callback_secret, session, self.patience)
        self.announcer = Announcer(webhooks, _runpod_id(runpod_job), stop)
        self.volume = VolumeMount(job.volume_mount, settings.volume_mount) if job.volume_mount else None
        self.store = VolumeStore(self.volume) if job.uses_volume else PresignedStore(session, self.patience)
        self.reporter = ProgressReporter(self._send_progress, settings.progress_interval, runpod_progress(runpod_job))
        self.deliveries = DeliveryQueue(self._deliver, stop, settings.delivery_queue)
        self.handed: set[int] = set()
        self.delivered: dict[int, dict[str, Any]] = {}
        self.request: GenerationRequest | None = None

    def run(self) -> dict[str, Any]:
        self.stop.stop_after(self.deadline.remaining(), lambda: f"{self.deadline.label} came before the job finished")
        try:
            self.reporter.start()
            self.reporter.report(0, "started")
            self.request = self._request()
            self.deliveries.start()
            self.engine.generate(self.request, self, self.stop)
            self.deliveries.finish()
            result: dict[str, Any] = {"images": self._complete()}
        except JobFailed as error:
            result = self._fail(str(error))
        except Exception as error:
            log.exception("job %s: unexpected failure", self.job.job_id)
            result = self._fail(f"internal error in the handler: {type(error).__name__}: {error}")
        finally:
            self.stop.disarm()
            self.reporter.close()
            self._clean_up()
        if self.settings.refresh_worker or self.engine.needs_refresh:
            result["refresh_worker"] = True
        return result

    def _request(self) -> GenerationRequest:
        style = content = None
        if self.job.type == "style-transfer":
            self.reporter.report(1, "reading input images")
            style = self._input("style_image")
            content = self._input("content_image")
        return GenerationRequest(self.job.job_id, self.job.type, self.job.params, style, content)

    def _input(self, name: str) -> bytes:
        path, url = getattr(self.job, f"{name}_path"), getattr(self.job, f"{name}_url")
        if path and self.volume:
            return read_from_volume(f"inputs.{name}_path", path, self.volume, self.settings.max_input_bytes)
        return fetch_image(self.session, f"inputs.{name}_url", url or "", self.patience, self.settings.max_input_bytes)

    # -- the engine's ImageSink -------------------------------------------------------------------
    def progress(self, fraction: float, message: str | None = None) -> None:
        self.reporter.report(5 + 90 * max(0.0, min(1.0, fraction)), message)

    def image(self, position: int, load: Load) -> None:
        count = len(self.job.targets)
        if not 0 <= position < count:
            raise EngineFailed(f"the engine made image {position}, but the job has {count} outputs")
        if position in self.handed:
            raise EngineFailed(f"the engine made image {position} twice")
        self.handed.add(position)
        self.deliveries.submit(position, load)

    # -- on the delivery thread -------------------------------------------------------------------
    def _deliver(self, position: int, load: Load) -> None:
        target = self.job.targets[position]
        body, content_type = prepare(target, load())
        self.store.put(target, body, content_type)
        metadata = images.metadata(target.index, target.key, body)
        self.delivered[position] = metadata
        try:
            self.announcer.send(image_event(self.job.job_id, metadata, len(self.job.targets)))
        except WebhookUndelivered as error:
            log.warning("job %s: image %d stored but not announced (%s); the completion lists it",
                        self.job.job_id, target.index, error)

    def _send_progress(self, percent: float, message: str | None) -> None:
        once = Patience(RetryPolicy(budget=0), self.stop, self.deadline, min(PROGRESS_TIMEOUT, self.settings.http_timeout))
        self.announcer.send(progress_event(self.job.job_id, percent, message), patience=once)

    # -- the end ----------------------------------------------------------------------------------
    def _complete(self) -> list[dict[str, Any]]:
        expected = len(self.job.targets)
        if len(self.delivered) != expected:
            missing = sorted(set(range(expected)) - set(self.delivered))
            raise EngineFailed(f"the engine finished with {len(self.delivered)} of {expected} images (missing {missing})")
        delivered = [self.delivered[p] for p in range(expected)]
        self.reporter.close()  # no progress may follow the job's last word
        try:
            self.announcer.send(completed_event(self.job.job_id, delivered))
        except WebhookUndelivered as error:
            log.warning("job %s: completion not delivered (%s); RunPod's result carries it", self.job.job_id, error)
        return delivered

    def _fail(self, error: str) -> dict[str, Any]:
        self.stop.stop(error)  # whatever still runs (delivery, progress) ends with the job
        log.error("job %s failed: %s", self.job.job_id, error)
        self.deliveries.abandon(wait=1.0)
        self.reporter.close()  # no progress may follow the job's last word
        if self.stop.origin != WORKER:
            # Its own short patience: the job's deadline may be what ended it, and the Worker still wants the reason.
            last_word = Patience(replace(self.settings.retry, budget=self.settings.deadline_margin),
                                 JobStop(), Deadline.none(), self.settings.http_timeout)
            try:
                self.announcer.send(failed_event(self.job.job_id, error), patience=last_word)
            except (JobFailed, WebhookUndelivered) as problem:
                log.error("job %s: failed webhook not delivered: %s", self.job.job_id, problem)
        return {"error": error}

    def _clean_up(self) -> None:
        if self.request is None:
            return
        try:
            self.engine.clean_up(self.request)
        except Exception:
            log.exception("job %s: cleaning up after the engine failed", self.job.job_id)
            self.engine.needs_refresh = True
