"""``clipper up`` survives a dead worker or web process, and still stops everything when asked.

Real processes throughout: the Supervisor runs real children (Python one-liners) in a thread, and the
end-to-end tests start ``clipper up`` itself, kill -9 a worker and the web server, and stop it with
SIGTERM and Ctrl-C's SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Worker

from tests.test_cli import CLIPPER, alive, descendants, free_port, wait_for
from web.supervisor import Child, Supervisor

SLEEPER = (sys.executable, "-c", "import time; time.sleep(120)")


def start(supervisor: Supervisor) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.run(poll=0.05)), daemon=True)
    thread.start()
    return thread, result


def test_a_killed_child_is_restarted_and_the_others_keep_running() -> None:
    said: list[str] = []
    sup = Supervisor([Child("worker-1", SLEEPER), Child("worker-2", SLEEPER), Child("web", SLEEPER)],
                     backoff=0.1, say=said.append)
    thread, result = start(sup)
    try:
        first = wait_for(lambda: (lambda p: p if len(p) == 3 else None)(sup.pids()), 10, "three children")
        os.kill(first["worker-1"], signal.SIGKILL)
        again = wait_for(lambda: (lambda p: p if p.get("worker-1", first["worker-1"]) != first["worker-1"] else None)(
            sup.pids()), 10, "worker-1 to be restarted")
        assert again["worker-2"] == first["worker-2"] and again["web"] == first["web"]
        assert alive(again["worker-1"])
        assert "worker-1 was killed by SIGKILL; restarting it in 0.1 s." in said
        assert f"worker-1 restarted (pid {again['worker-1']})." in said
    finally:
        sup.stop()
        thread.join(30)
    assert result == [0]
    assert not any(alive(pid) for pid in [*first.values(), *again.values()])


def test_a_crash_loop_stops_everything_with_a_message() -> None:
    said: list[str] = []
    crasher = Child("worker-2", (sys.executable, "-c", "import sys; sys.exit(3)"))
    sup = Supervisor([Child("worker-1", SLEEPER), crasher], max_deaths=5, window=60, backoff=0.01, say=said.append)
    thread, result = start(sup)
    thread.join(30)
    assert result == [1]
    assert said[-1] == ("Stopping Clipper: worker-2 exited with status 3, and it has died 5 times within 60 s. "
                        "Look at its messages above for the cause.")
    assert sum("worker-2 exited with status 3; restarting it" in line for line in said) == 4
    assert sup.pids() == {}  # the healthy worker was stopped too


def test_backoff_doubles_with_each_recent_death() -> None:
    said: list[str] = []
    sup = Supervisor([Child("web", (sys.executable, "-c", "raise SystemExit(1)"))], max_deaths=4, backoff=0.05,
                     say=said.append)
    started = time.monotonic()
    thread, result = start(sup)
    thread.join(30)
    assert result == [1]
    assert [line.split("restarting it in ")[-1] for line in said if "restarting" in line] == ["0.05 s.", "0.1 s.", "0.2 s."]
    assert time.monotonic() - started >= 0.05 + 0.1 + 0.2  # waited 0.05, 0.1, 0.2 s between the deaths


# --- clipper up, end to end ---------------------------------------------------------------------------


@pytest.fixture
def up_env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    return {**os.environ, "CLIPPER_DATA_DIR": str(tmp_path / "data"), "CLIPPER_PORT": str(port),
            "CLIPPER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "CLIPPER_WORKERS": "2",
            "CLIPPER_REDIS_URL": "", "CLIPPER_DATABASE_URL": "", "CLIPPER_STORAGE_URL": ""}


def _children(up_pid: int, kind: str) -> set[int]:
    """Direct children of ``clipper up`` running ``web.cli <kind>``."""
    found = set()
    for pid in descendants(up_pid):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == up_pid and cmd[-2:] == [b"web.cli", kind.encode()]:
            found.add(pid)
    return found


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).json()["status"] == "ok"
    except (requests.RequestException, ValueError):
        return False


def _registered_worker_pids(data_dir: str) -> set[int]:
    with Redis(unix_socket_path=str(Path(data_dir) / "redis.sock")) as conn:
        return {w.pid for w in Worker.all(connection=conn)}


@pytest.mark.slow
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_up_restarts_a_killed_worker_and_web_and_stops_cleanly(up_env: dict[str, str], stop_with: int) -> None:
    up = subprocess.Popen([*CLIPPER, "up"], env=up_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True)
    base = up_env["CLIPPER_PUBLIC_BASE_URL"]
    procs: set[int] = set()
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(up.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: _healthy(base), 90, "/healthz")
        workers = wait_for(lambda: (lambda w: w if len(w) == 2 else None)(_children(up.pid, "worker")), 30, "2 workers")
        wait_for(lambda: workers <= _registered_worker_pids(up_env["CLIPPER_DATA_DIR"]), 60, "workers in Redis")
        procs |= descendants(up.pid)
        victim, survivor = sorted(workers)
        os.kill(victim, signal.SIGKILL)

        now = wait_for(lambda: (lambda w: w if len(w) == 2 and victim not in w else None)(_children(up.pid, "worker")),
                       30, "the killed worker to be replaced")
        (replacement,) = now - {survivor}
        assert alive(survivor) and up.poll() is None
        assert _healthy(base)  # the web app never went away
        wait_for(lambda: replacement in _registered_worker_pids(up_env["CLIPPER_DATA_DIR"]), 60,
                 "the new worker to register with Redis")
        procs |= descendants(up.pid)

        (web,) = _children(up.pid, "web")
        os.kill(web, signal.SIGKILL)
        wait_for(lambda: (lambda w: w and web not in w)(_children(up.pid, "web")), 30, "the web app to be replaced")
        wait_for(lambda: _healthy(base), 60, "/healthz after the web app came back")
        procs |= descendants(up.pid)
        assert any("was killed by SIGKILL; restarting it" in line for line in lines), lines
    finally:
        if stop_with == signal.SIGINT:
            os.killpg(up.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
        else:
            os.kill(up.pid, signal.SIGTERM)  # a service manager stopping the main process only
        up.wait(60)
    try:  # on a loaded machine a worker's warm shutdown can take a while; name whatever stays
        wait_for(lambda: not any(alive(p) for p in procs), 60, "every process to stop")
    except AssertionError:
        left = [Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200] for p in procs if alive(p)]
        raise AssertionError(f"still running after stop: {left}") from None
    assert up.returncode == 0
    assert not (Path(up_env["CLIPPER_DATA_DIR"]) / "redis.sock").exists()
