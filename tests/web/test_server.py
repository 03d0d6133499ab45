"""``clipper web`` on granian, as an operator runs it: the two things granian leaves to us.

- A request's WSGI environ holds the request, not the server's environment (granian starts it from
  ``os.environ``): a variable named like a header (``HTTP_AUTHORIZATION``) must not log anyone in.
- A resumable-upload chunk cut off mid-way keeps what arrived (the phone resumes from there).
- Ctrl-C (every process of the group signalled at once) stops every worker gracefully.
- Killing the server's main process (an OOM kill, ``kill -9``) takes its worker processes with it,
  so the port is free for the restart (gunicorn's workers notice; granian's are told by the kernel).
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from clipper.db import upgrade
from tests.conftest import make_user
from tests.test_cli import alive, descendants, free_port, wait_for

pytestmark = pytest.mark.slow
CLIPPER = [sys.executable, "-m", "web.cli"]


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def _offset_after_a_dropped_chunk(base: str, token: str) -> int:
    """A tus PATCH that promises 8 MB, sends 3 MB and loses its connection; then the offset HEAD reports."""
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    made = requests.post(f"{base}/api/v1/uploads", timeout=10, headers={
        **headers, "Upload-Length": str(20 * 1024**2), "Upload-Metadata": "title " + base64.b64encode(b"News").decode()})
    assert made.status_code == 201, made.text
    path = made.headers["Location"].removeprefix(base)
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(f"PATCH {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                     "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                     f"Content-Length: {8 * 1024**2}\r\n\r\n".encode())
        conn.sendall(os.urandom(3 * 1024**2))
        time.sleep(0.5)

    def offset() -> int:
        return int(requests.head(base + path, headers=headers, timeout=10).headers["Upload-Offset"])

    try:
        return wait_for(lambda: offset() == 3 * 1024**2 and offset(), 30, "the chunk's bytes to be kept")  # type: ignore[no-any-return]
    except AssertionError:
        return offset()


def _env(settings, redis_url: str, port: int, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "CLIPPER_WEB_SERVER": "granian",
            "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
            "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_REDIS_URL": redis_url, "CLIPPER_PORT": str(port),
            "CLIPPER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **extra}


def test_ctrl_c_stops_every_worker_gracefully(settings, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C reaches the server and its workers at once. A worker whose signal landed on a thread
    other than its main one used to hang until granian killed it 20 s later (1 stop in 5)."""
    upgrade(settings.database_url)
    for attempt in range(4):
        port = free_port()
        log = tmp_path / f"web-{attempt}.log"
        with log.open("wb") as out:
            web = subprocess.Popen([*CLIPPER, "web"], env=_env(settings, redis_url, port), start_new_session=True,
                                   stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: _answers(f"http://127.0.0.1:{port}"), 60, "clipper web")  # noqa: B023
                for _ in range(4):
                    requests.get(f"http://127.0.0.1:{port}/", timeout=10)
                os.killpg(web.pid, signal.SIGINT)
                web.wait(60)
            finally:
                if web.poll() is None:
                    os.killpg(web.pid, signal.SIGKILL)
                    web.wait(10)
        text = log.read_text()
        assert "refused to gracefully stop" not in text, text[-3000:]
        assert "shutdown completed" in text and web.returncode == 0, text[-3000:]


def test_granian_keeps_its_environment_out_of_requests_and_its_workers_follow_it(settings, redis_url, ctx) -> None:  # type: ignore[no-untyped-def]
    upgrade(settings.database_url)
    _, token = make_user(ctx)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen([*CLIPPER, "web"], env=_env(settings, redis_url, port, HTTP_AUTHORIZATION=f"Bearer {token}"),
                           start_new_session=True)
    try:
        wait_for(lambda: _answers(base), 60, "clipper web")
        anonymous = requests.get(f"{base}/api/v1/recordings", timeout=10)
        assert anonymous.status_code == 401, anonymous.text  # the server's variable is not the request's header
        mine = requests.get(f"{base}/api/v1/recordings", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert mine.status_code == 200  # a request's own header still counts
        assert _offset_after_a_dropped_chunk(base, token) == 3 * 1024**2

        workers = wait_for(lambda: descendants(web.pid) or None, 30, "granian's worker processes")
        os.kill(web.pid, signal.SIGKILL)
        web.wait(10)
        wait_for(lambda: not any(alive(p) for p in workers), 30, "the workers to follow their killed server")
        with socket.socket() as s:  # nothing holds the port any more
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(30)
        for pid in descendants(web.pid):
            os.kill(pid, signal.SIGKILL)
