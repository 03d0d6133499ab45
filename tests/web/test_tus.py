"""Resumable uploads over real HTTP: create, send, drop the connection, resume, and get the file back intact."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from clipper.models import Event, Recording, Upload, User
from clipper.recordings import create_recording
from tests.conftest import make_user, run_jobs
from tests.media import test_video
from web import create_app

TUS = {"Tus-Resumable": "1.0.0"}
CAP = 2 * 1024 * 1024


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = test_video(tmp_path_factory.mktemp("tus") / "clip.mp4", seconds=4, size="320x240")
    return path.read_bytes()


@pytest.fixture
def server(settings, redis_url, ctx) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app behind werkzeug's real HTTP server (it streams request bodies to the app)."""
    app = create_app(dataclasses.replace(settings, max_upload_bytes=CAP), redis_url)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{srv.port}"
    srv.shutdown()
    thread.join(5)


@pytest.fixture
def users(ctx) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {name: {"Authorization": f"Bearer {make_user(ctx, f'{name}@example.org')[1]}", **TUS}
            for name in ("alice", "bob")}


def request(host: str, method: str, path: str, headers: dict[str, str], body: bytes | None = None
            ) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(host, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def create(host: str, headers: dict[str, str], length: int, **meta: str) -> str:
    response = request(host, "POST", "/api/v1/uploads", {**headers, "Upload-Length": str(length),
                                                         "Upload-Metadata": _meta(**meta)})
    assert response.status == 201, response.status
    return response.headers["Location"]


def patch(host: str, headers: dict[str, str], location: str, offset: int, body: bytes) -> http.client.HTTPResponse:
    return request(host, "PATCH", location, {**headers, "Upload-Offset": str(offset),
                                             "Content-Type": "application/offset+octet-stream"}, body)


def head_offset(host: str, headers: dict[str, str], location: str) -> int:
    response = request(host, "HEAD", location, headers)
    assert response.status == 200
    return int(response.headers["Upload-Offset"])


def raw_send(host: str, head: str, body: bytes = b"", *, wait_reply: bool) -> bytes:
    """Send a request by hand: headers and part of a body, then either read the reply or just hang up."""
    name, port = host.split(":")
    sock = socket.create_connection((name, int(port)), timeout=10)
    try:
        sock.sendall(head.encode() + b"\r\n" + body)
        reply = b""
        while wait_reply and (part := sock.recv(65536)):  # the server closes after refusing
            reply += part
        return reply
    finally:
        sock.close()


def recording(ctx: Any, recording_id: int) -> Recording:
    with ctx.sessions() as session:
        return session.get(Recording, recording_id)


def test_discovery(server: str) -> None:
    response = request(server, "OPTIONS", "/api/v1/uploads", {})
    assert response.status == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) == CAP


def test_interrupted_upload_resumes_and_the_original_is_byte_identical(server, users, video, ctx, redis_url):  # type: ignore[no-untyped-def]
    alice = users["alice"]
    location = create(server, alice, len(video), filename="evening-news.mov", title="Evening news")
    assert head_offset(server, alice, location) == 0

    # Promise the whole file, send 40% of it, and cut the connection.
    sent = int(len(video) * 0.4)
    raw_send(server, f"PATCH {location} HTTP/1.1\r\nHost: {server}\r\nAuthorization: {alice['Authorization']}\r\n"
                     f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                     f"Content-Length: {len(video)}\r\n", video[:sent], wait_reply=False)
    deadline = time.monotonic() + 10
    while head_offset(server, alice, location) != sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert head_offset(server, alice, location) == sent  # every byte that arrived was kept

    # Resume from the wrong place: refused, nothing changes.
    assert patch(server, alice, location, 0, video).status == 409
    assert head_offset(server, alice, location) == sent

    done = patch(server, alice, location, sent, video[sent:])
    while done.status == 423 and time.monotonic() < deadline:  # the dropped request still finishing
        time.sleep(0.05)
        done = patch(server, alice, location, sent, video[sent:])
    assert done.status == 204 and int(done.headers["Upload-Offset"]) == len(video)
    recording_id = int(done.headers["Clipper-Recording"].rsplit("/", 1)[1])
    assert recording(ctx, recording_id).title == "Evening news"
    with ctx.sessions() as session:
        event = session.query(Event).filter_by(action="recording.uploaded", target_id=recording_id).one()
        assert event.detail == {"resumable": True, "size": len(video)}

    run_jobs(redis_url, ("ingest",))
    rec = recording(ctx, recording_id)
    assert rec.status == "transcribing" and rec.error == ""
    assert rec.original_key == f"recordings/{recording_id}/original.mp4"  # from the content, not ".mov"
    assert ctx.store.path(rec.original_key).read_bytes() == video
    assert not ctx.store.keys("uploads/")


def test_another_user_cannot_see_or_resume_an_upload(server, users, video):  # type: ignore[no-untyped-def]
    location = create(server, users["alice"], len(video), filename="a.mp4")
    assert patch(server, users["alice"], location, 0, video[:1000]).status == 204
    bob = users["bob"]
    assert request(server, "HEAD", location, bob).status == 404
    assert patch(server, bob, location, 1000, video[1000:]).status == 404
    assert request(server, "DELETE", location, bob).status == 404
    assert head_offset(server, users["alice"], location) == 1000
    assert request(server, "HEAD", location, {"Tus-Resumable": "1.0.0"}).status == 401


def test_termination_removes_the_partial_file(server, users, video, ctx):  # type: ignore[no-untyped-def]
    alice = users["alice"]
    location = create(server, alice, len(video))
    patch(server, alice, location, 0, video[:500])
    assert request(server, "DELETE", location, alice).status == 204
    assert request(server, "HEAD", location, alice).status == 404
    assert not ctx.store.keys("uploads/")


def test_over_the_cap_is_refused_before_the_body_is_read(server, users, ctx):  # type: ignore[no-untyped-def]
    alice = users["alice"]
    response = request(server, "POST", "/api/v1/uploads", {**alice, "Upload-Length": str(CAP + 1)})
    assert response.status == 413
    # PATCH promising more than the upload's length: only headers are sent, and the answer still comes.
    location = create(server, alice, 1000)
    reply = raw_send(server, f"PATCH {location} HTTP/1.1\r\nHost: {server}\r\nAuthorization: {alice['Authorization']}\r\n"
                             "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                             "Content-Length: 5000000000\r\n", wait_reply=True)
    assert reply.startswith(b"HTTP/1.1 413")
    assert head_offset(server, alice, location) == 0
    # The simple multipart upload refuses an oversized body from its Content-Length too.
    reply = raw_send(server, f"POST /api/v1/recordings HTTP/1.1\r\nHost: {server}\r\nAuthorization: {alice['Authorization']}\r\n"
                             "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000000000\r\n",
                     wait_reply=True)
    assert reply.startswith(b"HTTP/1.1 413") and b"too large" in reply
    with ctx.sessions() as session:
        assert session.query(Recording).count() == 0


def test_protocol_errors_are_explained(client, auth, video):  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/uploads", headers={**auth, "Upload-Length": "10"}).status_code == 412
    headers = {**auth, **TUS}
    assert client.post("/api/v1/uploads", headers=headers).status_code == 400  # no Upload-Length
    response = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10",
                                                       "Upload-Metadata": _meta(recording_id="999")})
    assert response.status_code == 400 and "not one of yours" in response.get_json()["error"]
    location = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10"}).headers["Location"]
    response = client.patch(location, headers={**headers, "Upload-Offset": "0"}, data=b"0123456789")
    assert response.status_code == 415


def _upload_via_tus(client, headers, data: bytes, **meta: str) -> Recording:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": str(len(data)),
                                                       "Upload-Metadata": _meta(**meta)})
    assert response.status_code == 201
    if data:
        response = client.patch(response.headers["Location"], data=data, headers={
            **headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert response.status_code == 204
    return int(response.headers["Clipper-Recording"].rsplit("/", 1)[1])


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def _tiny(*args: str) -> bytes:
    """A tiny file made by ffmpeg from lavfi sources (``args`` between the input and the output)."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "tiny.mov"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", *args, str(out)], check=True)
        return out.read_bytes()


def _huge_picture() -> bytes:
    """One 16×16 raw frame whose sample entry claims 16000×9000 (no big frame is ever encoded)."""
    data = bytearray(_tiny("-i", "color=s=16x16:r=1:d=1", "-c:v", "rawvideo", "-pix_fmt", "rgb24"))
    entry = data.find(b"raw ", data.find(b"stsd"))
    data[entry + 28: entry + 32] = struct.pack(">HH", 16000, 9000)
    return bytes(data)


BAD = {
    "hls": (b"#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/latest\n", "playlist"),
    "ten hours": (lambda: _tiny("-i", "color=s=16x16:r=1/3600:d=36000", "-c:v", "libx264", "-preset", "ultrafast",
                                "-pix_fmt", "yuv420p"), "10:00:00 long"),
    "16000x9000": (_huge_picture, "16000×9000"),
    "concat": (b"ffconcat version 1.0\nfile /etc/passwd\n", "concat script"),
    "text": (b"Notes from the count.\n" * 20, "not a video or audio file"),
    "truncated": (None, "truncated"),
    "empty": (b"", "empty"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_uploads_fail_clearly_and_leave_nothing_ready(client, auth, ctx, redis_url, video, kind):  # type: ignore[no-untyped-def]
    data, words = BAD[kind]
    if data is None:
        data = _cut(video, 0.5)
    elif callable(data):
        data = data()
    recording_id = _upload_via_tus(client, {**auth, **TUS}, data, filename="news.mp4")
    run_jobs(redis_url, ("ingest",))
    rec = recording(ctx, recording_id)
    assert rec.status == "failed" and words in rec.error
    assert rec.original_key == "" and rec.proxy_key == ""
    assert not ctx.store.keys(f"recordings/{recording_id}/original")


def test_audio_only_upload_is_accepted_and_linked_to_its_recording(client, auth, ctx, redis_url, tmp_path):  # type: ignore[no-untyped-def]
    wav = tmp_path / "radio.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=2", str(wav)], check=True)
    with ctx.sessions() as session:  # a recording made first (as the UI does), then its file sent
        rec = create_recording(session, title="Radio 4 interview", created_by_id=session.query(User).one().id)
        session.commit()
        linked_id = rec.id
    recording_id = _upload_via_tus(client, {**auth, **TUS}, wav.read_bytes(), filename="radio.mp4",
                                   recording_id=str(linked_id))
    assert recording_id == linked_id
    run_jobs(redis_url, ("ingest",))
    rec = recording(ctx, recording_id)
    assert rec.status == "transcribing" and rec.original_key.endswith("original.wav")
    assert rec.probe["has_audio"] and not rec.probe["has_video"]


def test_multi_gigabyte_offsets_fit_every_database(database_url: str) -> None:
    from tests.conftest import engine_for

    sessions = engine_for(database_url)
    with sessions() as session:
        user = User(email="big@example.org")
        session.add(user)
        session.flush()
        session.add(Upload(id="u1", user_id=user.id, length=6 * 1024**3, offset=5 * 1024**3, meta={"title": "Count"}))
        session.commit()
    with sessions() as session:
        upload = session.get(Upload, "u1")
        assert (upload.offset, upload.length, upload.meta) == (5 * 1024**3, 6 * 1024**3, {"title": "Count"})


def test_unfinished_uploads_expire(client, auth, ctx, video):  # type: ignore[no-untyped-def]
    headers = {**auth, **TUS}
    created = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": str(len(video))})
    location, expires = created.headers["Location"], created.headers["Upload-Expires"]
    assert expires.endswith("GMT")
    client.patch(location, data=video[:100], headers={
        **headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    forgotten = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10"}).headers["Location"]
    with ctx.sessions() as session:  # a week passes without a byte
        for upload in session.query(Upload):
            upload.updated_at -= timedelta(days=8)
        session.commit()

    assert client.head(location, headers=headers).status_code == 410
    client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10"})  # starting another sweeps
    assert client.head(forgotten, headers=headers).status_code == 404
    assert not ctx.store.keys("uploads/")  # the expired upload's piece is gone; the new one has none yet
