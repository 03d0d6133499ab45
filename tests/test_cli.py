"""The ``clipper`` command as an operator uses it: ``up`` on one machine, and a separate worker process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.media import have, speech_video

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
CLIPPER = [sys.executable, "-m", "web.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    return {**os.environ, "CLIPPER_DATA_DIR": str(tmp_path / "data"), "CLIPPER_PORT": str(port),
            "CLIPPER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "CLIPPER_WORKERS": "1",
            "CLIPPER_REDIS_URL": "", "CLIPPER_DATABASE_URL": "", "CLIPPER_STORAGE_URL": ""}


def make_token(env: dict[str, str]) -> str:
    out = subprocess.run([*CLIPPER, "users", "create", "ops@example.org", "--role", "admin", "--password", "pw-12345678",
                          "--token"], env=env, capture_output=True, text=True, check=True).stdout
    return re.search(r"API token: (\S+)", out).group(1)


def thin_path(base: str, token: str, video: Path) -> dict:
    """Upload, wait for the transcript, mark a clip, approve it; return the clip once rendered."""
    h = {"Authorization": f"Bearer {token}"}
    with video.open("rb") as fh:
        r = requests.post(f"{base}/api/v1/recordings", headers=h, files={"file": ("news.mp4", fh)},
                          data={"title": "News"}, timeout=30)
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    rec = wait_for(lambda: (lambda j: j if j["status"] in ("ready", "failed") else None)(
        requests.get(f"{base}/api/v1/recordings/{rid}", headers=h, timeout=10).json()), 180, "transcript")
    assert rec["status"] == "ready", rec
    words = [w for s in requests.get(f"{base}/api/v1/recordings/{rid}/transcript", headers=h, timeout=10).json()["segments"]
             for w in s["words"]]
    start, end = words[2]["start"], words[8]["end"]
    r = requests.post(f"{base}/api/v1/clips", headers=h, json={"recording_id": rid, "start": start, "end": end,
                                                              "title": "Thin path", "presets": ["landscape"]}, timeout=10)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    # public renders come from review: submitted, then approved (an admin may approve their own clip)
    r = requests.post(f"{base}/api/v1/clips/{cid}/submit", headers=h, json={"version": r.json()["version"]}, timeout=10)
    assert r.status_code == 200, r.text
    r = requests.post(f"{base}/api/v1/clips/{cid}/approve", headers=h, json={"version": r.json()["version"]}, timeout=10)
    assert r.status_code == 200, r.text
    return wait_for(lambda: (lambda j: j if j["renders"] and all(x["status"] in ("done", "failed") for x in j["renders"])
                             else None)(requests.get(f"{base}/api/v1/clips/{cid}", headers=h, timeout=10).json()),
                    240, "render")


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_video(tmp_path_factory.mktemp("media") / "speech.mp4")


def test_up_serves_the_thin_path_and_leaves_nothing_behind(env: dict[str, str], video: Path) -> None:
    up = subprocess.Popen([*CLIPPER, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True)
    base = env["CLIPPER_PUBLIC_BASE_URL"]
    procs: set[int] = set()
    try:
        line = wait_for(lambda: up.stdout.readline(), 60, "clipper up to print its URL")
        assert base in line
        assert "admin@localhost" in up.stdout.readline()

        def healthy() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=2).json()["status"] == "ok"
            except requests.RequestException:
                return False

        wait_for(healthy, 60, "/healthz")
        procs = descendants(up.pid)
        assert len(procs) >= 3  # redis, a worker, the web server
        clip = thin_path(base, make_token(env), video)
        render = clip["renders"][0]
        assert render["status"] == "done", render
        got = requests.get(render["url"], timeout=30)
        assert got.status_code == 200 and got.content[4:8] == b"ftyp"
        procs |= descendants(up.pid)
    finally:
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        up.wait(60)
    wait_for(lambda: not any(alive(p) for p in procs), 30, "every process to stop")
    assert not (Path(env["CLIPPER_DATA_DIR"]) / "redis.sock").exists()


def test_a_separate_worker_process_runs_the_jobs(env: dict[str, str], video: Path, tmp_path: Path) -> None:
    """The web app and `clipper worker` as separate processes sharing one embedded Redis."""
    subprocess.run([*CLIPPER, "db", "upgrade"], env=env, check=True, capture_output=True)
    token = make_token(env)
    web = subprocess.Popen([*CLIPPER, "web"], env=env, start_new_session=True)
    worker = None
    try:
        base = env["CLIPPER_PUBLIC_BASE_URL"]
        wait_for(lambda: _answers(base), 60, "web")
        worker = subprocess.Popen([*CLIPPER, "worker", "ingest", "transcribe", "render"], env=env,
                                  start_new_session=True)
        clip = thin_path(base, token, video)
        assert clip["renders"][0]["status"] == "done", clip
    finally:
        for p in (worker, web):
            if p is not None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(60)


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False
