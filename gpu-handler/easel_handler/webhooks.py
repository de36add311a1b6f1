"""Signed webhooks to callback.url: Standard Webhooks, retried with the same webhook-id."""
import json
import uuid
from datetime import datetime, timezone
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

from . import contract
from .errors import WebhookRejected, WebhookUndelivered
from .retry import GaveUp, RetryPolicy, send_with_retries


def usable_secret(secret: str) -> bool:
    """A `whsec_` secret whose key decodes: what signing needs beyond the schema's prefix check."""
    try:
        Webhook(secret)
    except Exception:
        return False
    return True


class WebhookClient:
    def __init__(self, url: str, secret: str, session: requests.Session, policy: RetryPolicy, timeout: float):
        self.url, self.session, self.policy, self.timeout = url, session, policy, timeout
        self.signer = Webhook(secret)

    def send(self, body: dict[str, Any], *, schema: str = "webhook-event", policy: RetryPolicy | None = None) -> None:
        """POSTs body once accepted (2xx); WebhookRejected on 4xx, WebhookUndelivered when retries run out."""
        contract.check(schema, body)
        payload = json.dumps(body, separators=(",", ":"))
        message_id = f"msg_{uuid.uuid4().hex}"
        what = f"{body.get('type') or body.get('status')} webhook"
        try:
            response = send_with_retries(lambda: self._post(message_id, payload), policy or self.policy, what)
        except GaveUp as error:
            raise WebhookUndelivered(str(error)) from None
        if response.status_code >= 300:
            raise WebhookRejected(f"the Worker refused the {what} with HTTP {response.status_code}: {response.text[:300]}")

    def _post(self, message_id: str, payload: str) -> requests.Response:
        # Signed afresh on each attempt: same id (the Worker dedupes on it), current timestamp.
        now = datetime.now(timezone.utc)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(message_id, now, payload),
        }
        return self.session.post(self.url, data=payload.encode(), headers=headers, timeout=self.timeout)
