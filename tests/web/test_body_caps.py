"""Request bodies are capped per route and refused with 413 before they are read.

JSON and form routes take ``max_body_bytes``; multipart uploads keep their own cap; a tus PATCH takes
``max_upload_chunk_bytes``. The body is a stream that counts what the app reads of it, so "refused
before reading" is what is asserted, on every state-changing route of the URL map. The memory test
runs the app under granian (what ``clipper web`` runs), gunicorn and waitress and reads the peak RSS of the
process that runs the app around a 59 MB JSON request.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
TUS = {"Tus-Resumable": "1.0.0"}


class CountingBody(io.RawIOBase):
    """A request body of ``size`` bytes of filler that remembers how much of it was read."""

    def __init__(self, size: int) -> None:
        self.size, self.pos, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the body by seeking to its end and back

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self.size - self.pos))
        buffer[:n] = b" " * n
        self.pos += n
        self.read_bytes += n
        return n


def _unsafe_routes(app: Any) -> list[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        values = {arg: 1 if type(rule._converters[arg]).__name__ == "IntegerConverter" else "x"
                  for arg in rule.arguments}
        path = rule.build(values)[1]
        routes |= {(method, path) for method in (rule.methods or set()) & set(UNSAFE)}
    return sorted(routes)


def test_every_route_refuses_an_oversized_body_without_reading_it(client, ctx) -> None:
    _, token = make_user(ctx, "admin@example.org", "admin")
    routes = _unsafe_routes(client.application)
    assert len(routes) > 25
    for method, path in routes:
        body = CountingBody(100 * 1024**2)  # over every cap, the tus chunk's included
        response = client.open(path, method=method, input_stream=body, content_length=body.size,
                               content_type="application/json", headers={"Authorization": f"Bearer {token}", **TUS})
        assert response.status_code == 413, (method, path, response.status_code)
        assert body.read_bytes == 0, (method, path)
        if path.startswith("/api/"):
            assert "The request is too large: 100 MB sent" in response.json["error"], (method, path)


def test_the_html_forms_answer_413_as_a_page(client, ctx) -> None:
    from tests.web.forms import logged_in

    logged_in(client, ctx, "admin")
    body = CountingBody(2 * 1024**2)
    response = client.post("/admin/users", input_stream=body, content_length=body.size,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "The request is too large: 2 MB sent, this address takes at most 512 KB." in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_a_body_without_a_length_is_cut_off_at_the_cap(client, auth) -> None:
    payload = json.dumps({"url": "https://example.org/v.mp4", "title": "x" * 1024**2}).encode()
    response = client.post("/api/v1/recordings", input_stream=io.BytesIO(payload), content_type="application/json",
                           headers=auth, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert client.get("/api/v1/recordings", headers=auth).json["recordings"] == []


def test_json_under_the_cap_still_works_and_uploads_keep_their_own_cap(client, auth) -> None:
    response = client.post("/api/v1/recordings", json={"url": "http://127.0.0.1/v.mp4", "title": "t" * 400},
                           headers=auth)
    assert response.status_code == 400 and "loopback" in response.json["error"]  # read and judged, not 413
    upload = {"file": (io.BytesIO(os.urandom(3 * 1024**2)), "news.mp4"), "title": "Evening news"}
    response = client.post("/api/v1/recordings", data=upload, headers=auth, content_type="multipart/form-data")
    assert response.status_code == 202, response.json  # 3 MB: over the JSON cap, well under the upload cap


def test_a_tus_chunk_over_its_cap_is_refused_and_a_smaller_one_taken(settings, redis_url, ctx) -> None:
    from web import create_app

    app = create_app(dataclasses.replace(settings, max_upload_chunk_bytes=1024**2), redis_url)
    client = app.test_client()
    _, token = make_user(ctx)
    headers = {"Authorization": f"Bearer {token}", **TUS}
    meta = "title " + base64.b64encode(b"Evening news").decode()
    created = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": str(3 * 1024**2),
                                                      "Upload-Metadata": meta})
    assert created.status_code == 201
    url = created.headers["Location"]
    chunk = {**headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    body = CountingBody(2 * 1024**2)
    refused = client.patch(url, input_stream=body, content_length=body.size, headers=chunk)
    assert refused.status_code == 413 and "at most 1 MB" in refused.json["error"] and body.read_bytes == 0
    assert client.head(url, headers=headers).headers["Upload-Offset"] == "0"
    taken = client.patch(url, data=os.urandom(1024**2), headers=chunk)
    assert taken.status_code == 204 and taken.headers["Upload-Offset"] == str(1024**2)


SERVER = """
import os, sys
from clipper.settings import Settings
from web.server import serve
serve(Settings.from_env(os.environ, port=int(sys.argv[1]), web_processes=1, web_threads=4), os.environ["TEST_REDIS_URL"])
"""


def _app_process(pid: int) -> int:
    """waitress runs the app in its own process; granian and gunicorn in their one worker process."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0]) if children else pid


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "gunicorn", "waitress"])
def test_a_59_mb_json_body_leaves_the_web_process_memory_alone(settings, redis_url, ctx, server) -> None:
    _, token = make_user(ctx)
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TEST_REDIS_URL=redis_url, CLIPPER_DATA_DIR=str(settings.data_dir),
               CLIPPER_DATABASE_URL=settings.database_url, CLIPPER_SECRET_KEY="test-secret",
               CLIPPER_WEB_SERVER=server)
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        app_pid = _app_process(proc.pid)
        before = _peak_rss_mb(app_pid)
        numbers = ",".join(str(n) for n in range(8_000_000))  # ~59 MB of JSON: a list of numbers
        body = f'{{"url": "https://example.org/v.mp4", "tags": [{numbers}]}}'.encode()
        assert len(body) > 59 * 1000**2
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("POST", "/api/v1/recordings", body=body,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        except BrokenPipeError:  # granian answers and closes without taking the rest, as it may
            pass  # (curl and browsers read the answer while they send; http.client reads it now)
        response = conn.getresponse()
        answer = json.loads(response.read())
        grew = _peak_rss_mb(app_pid) - before
        print(f"peak RSS before {before:.0f} MB, growth {grew:.1f} MB, status {response.status}")
        assert response.status == 413 and "too large" in answer["error"], answer
        assert grew < 20, f"the web process grew by {grew:.0f} MB (from {before:.0f} MB)"
    finally:
        proc.terminate()
        proc.wait(30)
