"""PostgreSQL restarted under a running web app: requests in those seconds fail cleanly (503 with a
message and Retry-After, never a 500), and the app recovers by itself without being restarted.

The test runs its own PostgreSQL server (initdb into a temporary folder, as the postgres user) so the
restart touches nothing else on the machine; it needs PostgreSQL's server binaries (CI has them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.db import upgrade
from clipper.settings import Settings
from tests.conftest import make_user
from tests.test_cli import free_port
from workers import context

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.skipif(not BIN or os.geteuid() != 0, reason="needs PostgreSQL's server binaries, as root")]


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="clipper-pg-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.data = self.root / "data"
        pg = pwd.getpwnam("postgres")
        os.chown(self.root, pg.pw_uid, pg.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{BIN[-1]}/{tool}", *args], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.root / "log"), "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def test_requests_fail_cleanly_while_postgres_restarts_and_recover(postgres, tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    upgrade(postgres.url)
    settings = Settings.from_env({}, data_dir=tmp_path / "data", database_url=postgres.url, secret_key="s")
    ctx = context.configure(settings, redis_url)
    _, token = make_user(ctx, "lead@example.org", "social_lead")
    auth = {"Authorization": f"Bearer {token}"}
    client = create_app(settings, redis_url).test_client()
    assert client.get("/api/v1/recordings", headers=auth).status_code == 200

    postgres.stop()
    down = client.get("/api/v1/recordings", headers=auth)
    assert down.status_code == 503
    assert down.json == {"error": "The database is not answering right now. Try again in a moment."}
    assert down.headers["Retry-After"] == "5"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["checks"]["database"].startswith("error")
    page = client.get("/recordings", headers={"Accept": "text/html"} | auth)
    assert page.status_code == 503 and "The database is not answering" in page.get_data(as_text=True)

    postgres.start()
    back = client.get("/api/v1/recordings", headers=auth)  # the same app: no restart of Clipper
    assert back.status_code == 200 and back.json == {"recordings": []}
    made = client.post("/api/v1/recordings", headers=auth, json={"url": "https://example.org/v.mp4"})
    assert made.status_code in (202, 400)  # it reached the database and answered as usual
    assert client.get("/healthz").status_code == 200
