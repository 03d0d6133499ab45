"""Beyond one machine: two web hosts and two worker hosts that share only the database, Redis and S3.

Each process gets its own empty data dir, and afterwards every file in each data dir and every object
key is checked: web hosts keep no media, workers nothing but their model cache, and everything the
next stage needs is in S3. (Running each process as its own user was tried: the interpreter lives
under /root here, which other users cannot enter.) A recording is sent as a resumable upload whose chunks alternate
between the two web hosts (one of which is killed mid-request and restarted), then transcribed, clipped, approved, rendered and downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from clipper.db import upgrade
from tests.conftest import PG_URL, engine_for
from tests.media import have, speech_video
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, moto_server, s3_bucket, s3_client  # noqa: F401
from tests.test_cli import alive, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
CLIPPER = [sys.executable, "-m", "web.cli"]
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 64 * 1024


@pytest.fixture
def hosts_root(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def database(hosts_root: Path) -> Iterator[str]:
    """The machine's PostgreSQL (own schema) when there is one; else a SQLite file standing in for it."""
    if not PG_URL:
        url = f"sqlite:///{hosts_root / 'database' / 'clipper.db'}"
        upgrade(url)
        yield url
        return
    schema = "mh_" + os.urandom(6).hex()
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


class Host:
    """One process of Clipper as it would run on its own machine, with its own data dir."""

    def __init__(self, root: Path, name: str, env: dict[str, str], argv: list[str]) -> None:
        self.name, self.data = name, root / name
        self.data.mkdir(mode=0o700)
        self.env, self.argv = {**env, "CLIPPER_DATA_DIR": str(self.data)}, argv
        with open(root / f"{name}.log", "w") as log:
            self.proc = subprocess.Popen(argv, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)

    def restart(self) -> None:
        self.stop()
        with open(self.data.parent / f"{self.name}.log", "a") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, start_new_session=True, stdout=log,
                                         stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.data)) for p in self.data.rglob("*") if p.is_file())


def _token(database: str, email: str, role: str) -> str:
    from werkzeug.security import generate_password_hash

    from clipper.models import ApiToken, User

    with engine_for(database)() as session:
        user = User(email=email, name=email.split("@")[0], role=role, password_hash=generate_password_hash("x" * 12))
        session.add(user)
        session.flush()
        secret = ApiToken.new_secret()
        session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(secret)))
        session.commit()
        return secret


def _die_mid_patch(host: Host, port: int, location: str, auth: dict[str, str], offset: int, piece: bytes) -> None:
    """Start a PATCH on ``host``, send half its body, and kill the host's processes before the rest."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("PATCH", location)
    for name, value in {**auth, **TUS, "Upload-Offset": str(offset), "Content-Length": str(len(piece)),
                        "Content-Type": "application/offset+octet-stream"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(piece[: len(piece) // 2])
    time.sleep(0.5)
    os.killpg(host.proc.pid, signal.SIGKILL)  # the machine is gone, workers and all
    host.proc.wait(10)
    conn.close()


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).json()["status"] == "ok"
    except (requests.RequestException, ValueError):
        return False


def test_web_and_workers_on_separate_hosts_share_only_database_redis_and_s3(
        hosts_root: Path, database: str, redis_url: str, moto_server: S3Server, s3_bucket: str) -> None:  # noqa: F811
    video = speech_video(hosts_root / "speech.mp4").read_bytes()
    volunteer = {"Authorization": f"Bearer {_token(database, 'vol@example.org', 'volunteer')}"}
    lead = {"Authorization": f"Bearer {_token(database, 'lead@example.org', 'social_lead')}"}
    env = {**os.environ, "CLIPPER_DATABASE_URL": database, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_STORAGE_URL": f"s3://{s3_bucket}/clipper", "CLIPPER_S3_ENDPOINT_URL": moto_server.endpoint,
           "CLIPPER_S3_REGION": REGION, "CLIPPER_S3_ACCESS_KEY_ID": ACCESS_KEY,
           "CLIPPER_S3_SECRET_ACCESS_KEY": SECRET_KEY, "CLIPPER_SECRET_KEY": "one-secret-for-every-host",
           "CLIPPER_WORKER_RECOVERY_SECONDS": "5", "PYTHONDONTWRITEBYTECODE": "1"}
    ports = [free_port(), free_port()]
    webs = [Host(hosts_root, f"web{i}", {**env, "CLIPPER_PORT": str(port),
                                                    "CLIPPER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
                 [*CLIPPER, "web"]) for i, port in enumerate(ports, 1)]
    workers = [Host(hosts_root, f"worker{i}", env, [*CLIPPER, "worker", "ingest", "transcribe", "render"])
               for i in (1, 2)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            wait_for(lambda b=base: _healthy(b), 60, f"{base}/healthz")

        # A resumable upload whose chunks go alternately to the two web hosts.
        meta = f"title {base64.b64encode(b'Two hosts').decode()},filename {base64.b64encode(b'news.mp4').decode()}"
        created = requests.post(f"{bases[0]}/api/v1/uploads", headers={**volunteer, **TUS, "Upload-Length":
                                str(len(video)), "Upload-Metadata": meta}, timeout=10)
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        offset, turn = 0, 0
        while offset < len(video):
            if turn == 2:  # web1 dies mid-request (half a chunk sent), then comes back: nothing half-stored
                _die_mid_patch(webs[0], ports[0], location, volunteer, offset, video[offset:offset + CHUNK])
                head = requests.head(f"{bases[1]}{location}", headers={**volunteer, **TUS}, timeout=10)
                assert int(head.headers["Upload-Offset"]) == offset  # the cut-off piece was never taken
                webs[0].restart()
                wait_for(lambda: _healthy(bases[0]), 60, "web1 to come back")
            base = bases[turn % 2]
            if turn:  # the other host knows where the last one got to
                head = requests.head(f"{base}{location}", headers={**volunteer, **TUS}, timeout=10)
                assert int(head.headers["Upload-Offset"]) == offset
            piece = video[offset:offset + CHUNK]

            def send(base: str = base, piece: bytes = piece, offset: int = offset) -> tuple[requests.Response] | None:
                answer = requests.patch(f"{base}{location}", data=piece, timeout=30, headers={
                    **volunteer, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
                return None if answer.status_code == 423 else (answer,)  # the dead host's hold lapses in 30 s

            sent = wait_for(send, 60, "the upload to be free again")[0]
            assert sent.status_code == 204, sent.text
            offset, turn = int(sent.headers["Upload-Offset"]), turn + 1
        assert turn >= 4
        recording_url = sent.headers["Clipper-Recording"]

        rec = wait_for(lambda: (lambda j: j if j["status"] in ("ready", "failed") else None)(
            requests.get(f"{bases[1]}{recording_url}", headers=volunteer, timeout=10).json()), 300, "transcript")
        assert rec["status"] == "ready", rec
        segments = requests.get(f"{bases[0]}{recording_url}/transcript", headers=volunteer, timeout=10).json()["segments"]
        words = [w for s in segments for w in s["words"]]
        assert len(words) > 10

        start, end = words[2]["start"], words[8]["end"]
        made = requests.post(f"{bases[0]}/api/v1/clips", headers=volunteer, timeout=10, json={
            "recording_id": rec["id"], "start": start, "end": end, "title": "Two hosts", "presets": ["landscape"]})
        assert made.status_code == 201, made.text
        clip = made.json()
        submitted = requests.post(f"{bases[1]}/api/v1/clips/{clip['id']}/submit", headers=volunteer, timeout=10,
                                  json={"version": clip["version"]})
        assert submitted.status_code == 200, submitted.text
        approved = requests.post(f"{bases[0]}/api/v1/clips/{clip['id']}/approve", headers=lead, timeout=10,
                                 json={"version": submitted.json()["version"]})
        assert approved.status_code == 200, approved.text

        def rendered() -> dict | None:
            got = requests.get(f"{bases[1]}/api/v1/clips/{clip['id']}", headers=lead, timeout=10).json()
            final = [r for r in got["renders"] if r["status"] in ("done", "failed")]
            return got if got["renders"] and len(final) == len(got["renders"]) else None

        done = wait_for(rendered, 300, "the render")
        render = done["renders"][0]
        assert render["status"] == "done", render
        mp4 = requests.get(render["url"], timeout=30)
        assert mp4.status_code == 200 and mp4.content[4:8] == b"ftyp"
        assert hashlib.sha256(mp4.content).hexdigest() == render["sha256"]
    finally:
        for host in (*webs, *workers):
            host.stop()

    # Every object is in S3 under the recording's and clip's keys; the upload's pieces are gone.
    listed = s3_client(moto_server).list_objects_v2(Bucket=s3_bucket, Prefix="clipper/").get("Contents", [])
    keys = sorted(o["Key"].removeprefix("clipper/") for o in listed)
    assert f"recordings/{rec['id']}/original.mp4" in keys
    assert f"clips/{clip['id']}/landscape.mp4" in keys
    assert not [k for k in keys if k.startswith("uploads/")]
    # No host kept anything another needed: web hosts hold no media, workers only their model cache.
    for web in webs:  # (the killed host may keep the scratch file of the request it died in: its own, never read)
        assert not [f for f in web.files() if not f.startswith(("models/", "incoming/tus-"))], (web.name, web.files())
    for worker in workers:
        assert not [f for f in worker.files() if not f.startswith("models/")], (worker.name, worker.files())
    assert not any(alive(h.proc.pid) for h in (*webs, *workers))
