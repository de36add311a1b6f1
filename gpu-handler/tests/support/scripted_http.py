"""A small threaded HTTP server that records every request and can be told to fail the next ones."""
import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

DROP = "drop"  # close the connection without answering: a connection error for the client


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """faults: statuses (or DROP, or None for a normal answer) given, in order, to the next requests."""

    def __init__(self, respond: Callable[["Recorded"], tuple[int, dict[str, str], bytes]]):
        self.respond, self.faults, self.requests = respond, [], []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle on, the body would wait for a delayed ACK (40 ms).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                record = Recorded(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                with server.lock:
                    server.requests.append(record)
                    fault = server.faults.pop(0) if server.faults else None
                if fault == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, headers, body = (fault, {"content-type": "application/xml"}, _error_body(fault)) if fault \
                    else server.respond(record)
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *faults: Any) -> None:
        with self.lock:
            self.faults.extend(faults)

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _error_body(status: int) -> bytes:
    code = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied"}.get(status, "Injected")
    return f"<Error><Code>{code}</Code><Message>injected by the test</Message></Error>".encode()


def forward_to(port: int) -> Callable[[Recorded], tuple[int, dict[str, str], bytes]]:
    """Passes the request on unchanged (Host header included, so SigV4 signatures still match)."""
    def respond(record: Recorded) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(record.method, record.path, body=record.body or None, headers=record.headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()
    return respond


def accept(status: int = 202) -> Callable[[Recorded], tuple[int, dict[str, str], bytes]]:
    return lambda record: (status, {"content-type": "application/json"}, b'{"ok":true}')
