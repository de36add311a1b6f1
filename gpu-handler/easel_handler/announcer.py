"""The job's webhooks, each naming RunPod's run; an acknowledgement saying the job is over stops the job."""
from typing import Any

from .stop import WORKER, JobStop
from .retry import Patience
from .webhooks import WebhookClient


class Announcer:
    def __init__(self, webhooks: WebhookClient, runpod_job_id: str | None, stop: JobStop):
        self.webhooks, self.runpod_job_id, self.stop = webhooks, runpod_job_id, stop

    def send(self, body: dict[str, Any], *, patience: Patience | None = None) -> None:
        if self.runpod_job_id:
            body = {**body, "runpod_job_id": self.runpod_job_id}
        ack = self.webhooks.send(body, patience=patience)
        if ack.job_over and body["type"] != "failed":
            detail = f": {ack.detail}" if ack.detail else ""
            self.stop.stop(f"the Worker ended the job ({ack.status}{detail})", origin=WORKER)
