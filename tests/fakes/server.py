"""The common part of the fake platforms: a threaded HTTP server, request parsing and fault injection."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, Any]:
        """Fields of a urlencoded or multipart body; file fields as ``(filename, bytes)``."""
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + self.body)
            fields: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                fields[name] = (filename, payload) if filename else payload.decode()
            return fields
        if ctype.startswith("application/json"):
            return dict(self.json())
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


DROP = "drop"  # answer nothing: close the connection


@dataclass
class Fault:
    route: str
    times: int
    status: int = 0  # answer this status instead (before anything is created)
    body: Any = None
    retry_after: float | None = None
    drop_after_create: bool = False  # create, then close the connection without answering
    hold: threading.Event | None = None  # create, then wait for this event before answering
    delay: float = 0.0  # answer late (a slow webhook)


class Faults:
    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, route: str, times: int = 1, **kwargs: Any) -> Fault:
        rule = Fault(route, times, **kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, route: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.route == route and rule.times > 0:
                    rule.times -= 1
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


class FakeServer:
    """Subclasses implement ``route(request) -> (name, handler)``; handlers return a Response or DROP."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, req: Request) -> tuple[str, Callable[[Request], Any]] | None:
        raise NotImplementedError

    def dispatch(self, req: Request) -> Any:
        with self.lock:
            self.requests.append(req)
        found = self.route(req)
        if found is None:
            return Response(404, {"error": "NotFound", "message": f"no route {req.method} {req.path}"})
        name, handler = found
        fault = self.faults.take(name)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            return Response(fault.status, fault.body if fault.body is not None else {"error": "injected"}, headers)
        answer = handler(req)
        if fault is not None and fault.hold is not None:
            fault.hold.wait(60)
        if fault is not None and fault.drop_after_create:
            return DROP
        return answer

    def count(self, route_path: str, method: str = "POST") -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.endswith(route_path))

    @contextmanager
    def running(self) -> Iterator[FakeServer]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                              {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                answer = fake.dispatch(req)
                if answer == DROP:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                data = b"" if answer.body is None else (
                    answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode())
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._httpd, self.port = httpd, httpd.server_address[1]
        thread = threading.Thread(target=httpd.serve_forever, daemon=True, name=type(self).__name__)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)


def bearer(req: Request) -> str:
    header = req.headers.get("authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""
