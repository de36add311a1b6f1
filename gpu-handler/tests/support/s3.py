"""A real S3 server (s3rver, started by the local stack's own launcher under Node) and a SigV4 presigner for it, like the Worker's (aws4fetch)."""
import json
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import botocore.session
import requests
from botocore.config import Config

REPO = Path(__file__).resolve().parents[3]
NODE = REPO / "node_modules" / ".bin" / "node"
SCRIPT = REPO / "scripts" / "stack" / "s3rver.ts"
BUCKET = "easel-handler-test"
CREDENTIALS = {"aws_access_key_id": "S3RVER", "aws_secret_access_key": "S3RVER"}


@lru_cache(maxsize=16)
def _client(endpoint: str, secret: str):
    return botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["aws_access_key_id"], aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


class S3Server:
    def __enter__(self) -> "S3Server":
        if not NODE.exists():
            raise RuntimeError(f"{NODE} is missing: run npm install in {REPO}")
        self.directory = tempfile.mkdtemp(prefix="easel-s3rver-")
        self.port = 0
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def start(self) -> None:
        """Starts the server (again, after stop(): same port and objects, so URLs presigned before still work)."""
        self.process = subprocess.Popen([str(NODE), "--import", "tsx", str(SCRIPT), self.directory, BUCKET, str(self.port)], cwd=REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"s3rver did not start (exit {self.process.wait(5)})")
        self.port = json.loads(line)["port"]

    def stop(self) -> None:
        """The store goes away: its port refuses connections until start()."""
        if self.process.poll() is not None:
            return
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def presign(self, method: str, key: str, *, content_type: str | None = None, endpoint: str | None = None,
                secret: str = CREDENTIALS["aws_secret_access_key"], expires: int = 600) -> str:
        """A presigned URL; for PUT, content-type is signed, as the Worker signs it."""
        client = _client(endpoint or self.endpoint, secret)
        params = {"Bucket": BUCKET, "Key": key}
        if content_type:
            params["ContentType"] = content_type
        operation = {"PUT": "put_object", "GET": "get_object"}[method]
        return client.generate_presigned_url(operation, Params=params, ExpiresIn=expires)

    def get(self, key: str) -> requests.Response:
        return requests.get(self.presign("GET", key), timeout=10)

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        url = self.presign("PUT", key, content_type=content_type)
        requests.put(url, data=data, headers={"content-type": content_type}, timeout=10).raise_for_status()
