"""A real S3 endpoint over HTTP for tests: moto's S3 server, run as ``ThreadedMotoServer`` runs it, on
127.0.0.1 on a free port.

Fixtures (import them into a conftest to use them; ``tests/storage/conftest.py`` does)::

    from tests.s3server import moto_server, s3_bucket, s3_settings  # noqa: F401

- ``moto_server`` (session): the running ``S3Server``; ``.endpoint`` is its ``http://127.0.0.1:PORT``.
  It can also misbehave on purpose: ``fail(status=503, times=1, when=...)`` answers matching requests
  with an S3 error, ``drop()`` says 200 OK to a write and throws it away, ``cut()`` sends half a
  response and hangs up, ``requests`` lists what it
  received, and ``kill()`` closes its socket so the next request is refused (only on a server of your
  own: ``S3Server().start()``; ``heal()`` clears faults, and ``s3_bucket`` heals the shared one).
- ``s3_bucket``: a new, empty bucket on that server for one test.
- ``s3_settings``: the ``settings`` fixture pointed at that bucket (``s3://<bucket>/clipper``) with the
  endpoint and test credentials set, so ``context.configure(s3_settings, redis_url)`` or
  ``create_app(s3_settings, redis_url)`` store every object in S3. Example, renders landing in S3::

      @pytest.fixture
      def s3_ctx(s3_settings, redis_url):
          return context.configure(s3_settings, redis_url)

- ``s3_client(server)``: a plain boto3 client for looking at the bucket from outside the store.

moto keeps its buckets in process-wide memory, shared by every server in the process; each test gets
its own bucket, so nothing leaks between tests.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from clipper.settings import Settings

ACCESS_KEY, SECRET_KEY, REGION = "testing", "testing", "us-east-1"

Environ = dict[str, Any]


@dataclass
class Fault:
    status: int
    times: int | None  # None: every matching request
    when: Callable[[Environ], bool]
    code: str = "InternalError"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str

    @property
    def is_upload_part(self) -> bool:
        return self.method == "PUT" and "partNumber=" in self.query and "uploadId=" in self.query


@dataclass
class _Faults:
    """WSGI middleware in front of moto: records requests and answers some of them with errors."""

    app: Any
    pending: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        with self.lock:
            self.seen.append(Seen(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                  environ.get("QUERY_STRING", "")))
            fault = next((f for f in self.pending if f.when(environ)), None)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.pending.remove(fault)
        if fault is None:
            return self.app(environ, start_response)
        if fault.status == 0:  # the connection drops halfway through the response body
            return _cut_short(self.app(environ, start_response))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)  # drain the body so the connection stays in step
        if fault.status == 200:  # "accepted", but nothing was stored: a lying or broken endpoint
            start_response("200 OK", [("ETag", '"0"'), ("Content-Length", "0")])
            return [b""]
        body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{fault.code}</Code>"
                f"<Message>injected by the test</Message></Error>").encode()
        start_response(f"{fault.status} Injected", [("Content-Type", "application/xml"),
                                                    ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]


def _cut_short(body: Any) -> Iterator[bytes]:
    data = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    yield data[: len(data) // 2]
    raise ConnectionAbortedError("cut short by the test")  # the server drops the connection


class S3Server:
    """moto's S3 server in a thread, as ``moto.server.ThreadedMotoServer`` runs it, with two changes: a
    fault-injecting middleware in front of moto's app, and a port picked by the OS.

    moto is imported on ``start()``, not at import time: importing it takes over a second, and every
    test session imports this module through the conftests.
    """

    def __init__(self) -> None:
        self._faults = _Faults(None)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> S3Server:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass

        self._faults.app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, self._faults, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-s3", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Seen]:
        return list(self._faults.seen)

    def fail(self, status: int = 503, *, times: int | None = 1, when: Callable[[Environ], bool] = lambda e: True,
             code: str = "") -> None:
        code = code or {503: "SlowDown", 500: "InternalError"}.get(status, "InternalError")
        with self._faults.lock:
            self._faults.pending.append(Fault(status, times, when, code))

    def drop(self, *, times: int | None = 1, when: Callable[[Environ], bool] = lambda e: True) -> None:
        """Answer matching requests with 200 OK without passing them on: the write is silently lost."""
        self.fail(200, times=times, when=when)

    def cut(self, *, times: int | None = 1, when: Callable[[Environ], bool] = lambda e: True) -> None:
        """Send half of matching responses' bodies, then drop the connection."""
        self.fail(0, times=times, when=when)

    def heal(self) -> None:
        with self._faults.lock:
            self._faults.pending.clear()

    def kill(self) -> None:
        """Stop serving and close the listening socket: from now on connections are refused."""
        self.stop()
        if self._server is not None:
            self._server.server_close()


_clients: dict[str, Any] = {}


def s3_client(server: S3Server) -> Any:
    import boto3

    if server.endpoint not in _clients:  # building a client loads botocore's models: do it once
        _clients[server.endpoint] = boto3.session.Session().client(
            "s3", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY)
    return _clients[server.endpoint]


def new_bucket(server: S3Server) -> str:
    name = f"clipper-{uuid.uuid4().hex[:12]}"
    s3_client(server).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def moto_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def s3_bucket(moto_server: S3Server) -> Iterator[str]:
    moto_server.heal()
    name = new_bucket(moto_server)
    yield name
    moto_server.heal()


@pytest.fixture
def s3_settings(settings: Settings, moto_server: S3Server, s3_bucket: str) -> Settings:
    return dataclasses.replace(settings, storage_url=f"s3://{s3_bucket}/clipper", s3_endpoint_url=moto_server.endpoint,
                               s3_region=REGION, s3_access_key_id=ACCESS_KEY, s3_secret_access_key=SECRET_KEY)
