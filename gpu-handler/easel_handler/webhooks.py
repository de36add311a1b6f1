"""Signed webhooks to callback.url: Standard Webhooks, retried with the same webhook-id, answered with the job's status."""
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

from . import contract
from .errors import WebhookRejected, WebhookUndelivered
from .failure_text import describe_response
from .log import get_logger
from .redaction import without_query
from .retry import GaveUp, Patience, send_with_retries

log = get_logger(__name__)

OVER = ("canceled", "timed_out", "failed")  # final statuses that are not a success: the GPU must stop


def usable_secret(secret: str) -> bool:
    """A `whsec_` secret whose key decodes: what signing needs beyond the schema's prefix check."""
    try:
        Webhook(secret)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Acknowledgement:
    """The Worker's answer to a webhook: `{result, status, detail?}` (status is the job's, after this event)."""
    result: str | None = None
    status: str | None = None
    detail: str | None = None

    @property
    def job_over(self) -> bool:
        return self.status in OVER

    @classmethod
    def of(cls, response: requests.Response) -> "Acknowledgement":
        try:
            body = response.json()
        except ValueError:
            return cls()
        if not isinstance(body, dict):
            return cls()
        text = lambda key: body[key] if isinstance(body.get(key), str) else None  # noqa: E731
        return cls(text("result"), text("status"), text("detail"))


class WebhookClient:
    def __init__(self, url: str, secret: str, session: requests.Session, patience: Patience):
        self.url, self.session, self.patience = url, session, patience
        self.signer = Webhook(secret)

    def send(self, body: dict[str, Any], *, patience: Patience | None = None) -> Acknowledgement:
        """POSTs body until accepted (2xx); WebhookRejected on 4xx, WebhookUndelivered when retries run out."""
        contract.check("webhook-event", body)
        payload = json.dumps(body, separators=(",", ":"))
        message_id = f"msg_{uuid.uuid4().hex}"
        what = f"{body['type']} webhook"
        try:
            response = send_with_retries(lambda timeout: self._post(message_id, payload, timeout),
                                         patience or self.patience, what)
        except GaveUp as error:
            raise WebhookUndelivered(str(error)) from None
        if response.status_code >= 300:
            raise WebhookRejected(f"the Worker refused the {what} with {describe_response(response)}")
        log.debug("%s accepted by %s", what, without_query(self.url))
        return Acknowledgement.of(response)

    def _post(self, message_id: str, payload: str, timeout: float) -> requests.Response:
        # Signed afresh on each attempt: same id (the Worker dedupes on it), current timestamp.
        now = datetime.now(timezone.utc)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(message_id, now, payload),
        }
        return self.session.post(self.url, data=payload.encode(), headers=headers, timeout=timeout)
