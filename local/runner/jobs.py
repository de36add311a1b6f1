"""RunPod's queue for one machine: jobs, their states, and the per-endpoint worker slots.

States and their meaning follow RunPod's serverless docs (job states): IN_QUEUE until a worker
takes the job, IN_PROGRESS while the handler runs, then COMPLETED, FAILED, CANCELLED or
TIMED_OUT. A worker that dies without reporting leaves the job IN_PROGRESS until its execution
timeout, as on RunPod, which cannot tell a dead worker from a slow one.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
DEFAULT_EXECUTION_TIMEOUT_MS = 600_000
DEFAULT_TTL_MS = 24 * 3600 * 1000


@dataclass
class RunpodJob:
    id: str
    endpoint: str
    input: Any
    webhook: Optional[str]
    execution_timeout_ms: int
    ttl_ms: int
    status: str = "IN_QUEUE"
    output: Any = None
    error: Any = None
    worker_id: Optional[str] = None
    created_at: float = field(default_factory=time.time)
    started_at: Optional[float] = None
    ended_at: Optional[float] = None
    ended: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict[str, Any]:
        """The body of `/status` and of the completion webhook."""
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        now = time.time()
        body["delayTime"] = int(((self.started_at or self.ended_at or now) - self.created_at) * 1000)
        if self.started_at is not None:
            body["executionTime"] = int(((self.ended_at or now) - self.started_at) * 1000)
        if self.worker_id:
            body["workerId"] = self.worker_id
        if self.output is not None:
            body["output"] = self.output
        if self.error is not None:
            body["error"] = self.error
        return body


# What running one job returns: ("COMPLETED", output, None), ("FAILED", output, error), or
# ("LOST", None, None) when the worker died without a result.
RunOutcome = tuple[str, Any, Any]
Notify = Callable[[RunpodJob], None]


class Slot(Protocol):
    """One worker of an endpoint: runs its jobs one at a time, in whatever it keeps between them."""

    def __call__(self, job: RunpodJob, token: "CancelToken") -> RunOutcome: ...

    def close(self) -> None: ...


StartSlot = Callable[[str], Slot]


class CancelToken:
    """Lets `/cancel` and the execution timeout stop a running job's worker."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._on_stop: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_stop(self, action: Callable[[], None]) -> None:
        with self._lock:
            self._on_stop.append(action)
            stopped = self._stop.is_set()
        if stopped:
            action()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            actions = list(self._on_stop)
        for action in actions:
            action()


class JobQueue:
    """All endpoints' jobs; each endpoint gets its own queue and `workers_per_endpoint` slots, each on its thread.

    An endpoint's slots start with its first job (`start_slot(worker_id)`), as RunPod workers
    start cold, and then stay.
    """

    def __init__(self, start_slot: StartSlot, notify: Notify, workers_per_endpoint: int = 1) -> None:
        self._start_slot = start_slot
        self._notify = notify
        self._workers_per_endpoint = workers_per_endpoint
        self._jobs: dict[str, RunpodJob] = {}
        self._tokens: dict[str, CancelToken] = {}
        self._queues: dict[str, queue.Queue[str]] = {}
        self._slots: list[Slot] = []
        self._lock = threading.Lock()

    def submit(self, endpoint: str, job_input: Any, webhook: Optional[str], policy: dict[str, Any]) -> RunpodJob:
        job = RunpodJob(
            id=f"{uuid.uuid4()}-local",
            endpoint=endpoint,
            input=job_input,
            webhook=webhook,
            execution_timeout_ms=int(policy.get("executionTimeout") or DEFAULT_EXECUTION_TIMEOUT_MS),
            ttl_ms=int(policy.get("ttl") or DEFAULT_TTL_MS),
        )
        with self._lock:
            self._jobs[job.id] = job
            self._tokens[job.id] = CancelToken()
            endpoint_queue = self._queues.get(endpoint)
            if endpoint_queue is None:
                endpoint_queue = self._queues[endpoint] = queue.Queue()
                for number in range(self._workers_per_endpoint):
                    worker_id = f"local-{endpoint}-{number}"
                    slot = self._start_slot(worker_id)
                    self._slots.append(slot)
                    threading.Thread(target=self._work, args=(endpoint_queue, worker_id, slot), name=worker_id, daemon=True).start()
        endpoint_queue.put(job.id)
        return job

    def get(self, endpoint: str, job_id: str) -> Optional[RunpodJob]:
        job = self._jobs.get(job_id)
        return job if job is not None and job.endpoint == endpoint else None

    def cancel(self, endpoint: str, job_id: str) -> Optional[RunpodJob]:
        job = self.get(endpoint, job_id)
        if job is None:
            return None
        if self._finish(job, "CANCELLED", None, None):
            self._tokens[job.id].stop()
        return job

    def counts(self, endpoint: str) -> dict[str, int]:
        """The `jobs` part of RunPod's `/health` answer."""
        statuses = Counter(job.status for job in list(self._jobs.values()) if job.endpoint == endpoint)
        return {
            "completed": statuses["COMPLETED"],
            "failed": statuses["FAILED"] + statuses["TIMED_OUT"],
            "inProgress": statuses["IN_PROGRESS"],
            "inQueue": statuses["IN_QUEUE"],
            "retried": 0,
        }

    def stop_all(self) -> None:
        """Stops every running job and every slot's handler process, busy or idle."""
        for job_id, token in list(self._tokens.items()):
            if self._jobs[job_id].status not in TERMINAL:
                token.stop()
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            slot.close()

    def _work(self, endpoint_queue: queue.Queue[str], worker_id: str, slot: Slot) -> None:
        while True:
            job = self._jobs[endpoint_queue.get()]
            with self._lock:
                if job.status != "IN_QUEUE":
                    continue
                if (time.time() - job.created_at) * 1000 > job.ttl_ms:
                    expired = True
                else:
                    expired = False
                    job.status, job.started_at, job.worker_id = "IN_PROGRESS", time.time(), worker_id
            if expired:
                self._finish(job, "TIMED_OUT", None, "job expired in the queue before a worker took it")
                continue
            self._run(job, slot)

    def _run(self, job: RunpodJob, slot: Slot) -> None:
        token = self._tokens[job.id]
        timeout_s = job.execution_timeout_ms / 1000
        timer = threading.Timer(timeout_s, lambda: self._time_out(job))
        timer.daemon = True
        timer.start()
        try:
            status, output, error = slot(job, token)
        except Exception as problem:  # noqa: BLE001 - the job must end whatever went wrong here
            status, output, error = "FAILED", None, f"the runner could not run a worker: {problem}"
        # A worker that died without a result reports nothing: its timer ends the job, while this
        # slot, like RunPod bringing up a fresh worker, goes on to the next job.
        if status != "LOST":
            timer.cancel()
            self._finish(job, status, output, error)

    def _time_out(self, job: RunpodJob) -> None:
        if self._finish(job, "TIMED_OUT", None, f"execution timeout of {job.execution_timeout_ms} ms exceeded"):
            self._tokens[job.id].stop()

    def _finish(self, job: RunpodJob, status: str, output: Any, error: Any) -> bool:
        """Ends the job once; the first end wins. Returns whether this call ended it."""
        with self._lock:
            if job.status in TERMINAL:
                return False
            job.status, job.output, job.error, job.ended_at = status, output, error, time.time()
        job.ended.set()
        self._notify(job)
        return True
