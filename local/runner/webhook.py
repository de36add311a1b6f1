"""RunPod's completion webhook: the job's `/status` body, POSTed to the `webhook` given at `/run`.

Like RunPod, a delivery that does not get a 200 is retried twice more, `retry_delay_s` apart.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

ATTEMPTS = 3


class WebhookSender:
    def __init__(self, retry_delay_s: float = 10.0, timeout_s: float = 10.0) -> None:
        self.retry_delay_s = retry_delay_s
        self.timeout_s = timeout_s

    def send_in_background(self, url: str, body: dict[str, Any]) -> threading.Thread:
        thread = threading.Thread(target=self.send, args=(url, body), name=f"webhook-{body.get('id')}", daemon=True)
        thread.start()
        return thread

    def send(self, url: str, body: dict[str, Any]) -> bool:
        data = json.dumps(body).encode()
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(url, data=data, method="POST", headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    if response.status == 200:
                        return True
                    reason = f"answered {response.status}"
            except urllib.error.HTTPError as error:
                reason = f"answered {error.code}: {error.read()[:200]!r}"
            except (urllib.error.URLError, OSError) as error:
                reason = str(error)
            print(f"runner: webhook for {body.get('id')} attempt {attempt} {reason}", file=sys.stderr, flush=True)
            if attempt < ATTEMPTS:
                threading.Event().wait(self.retry_delay_s)
        return False
