"""A local HTTP receiver standing in for a partner's or a gateway's server (none can run here): it records every
request and answers as the test says."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gridlink.embedded import free_port


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Request], tuple[int, dict[str, str]]]


class LocalReceiver:
    """Serves on ``host`` (127.0.0.2 is the one internal address the test platform lets webhooks reach)."""

    def __init__(self, answer: Answer, host: str = "127.0.0.2"):
        self.requests: list[Request] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = Request(self.path.split("?")[0], {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers = answer(request)
                receiver.requests.append(request)
                self.send_response(status)
                for name, value in {**headers, "content-length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.host, self.port = host, free_port()
        self.server = ThreadingHTTPServer((host, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
