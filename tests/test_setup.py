"""Setting Clipper up from a fresh clone: the URL links are built on when no public URL is configured,
creating users from a script, and the project's own architecture document."""

from __future__ import annotations

import json
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

from clipper.models import Recording
from clipper.settings import Settings
from tests.web.forms import logged_in, post_form
from workers import context

ROOT = Path(__file__).resolve().parents[1]
CLIPPER = [sys.executable, "-m", "web.cli"]
PORT = 8731  # the port the issue was found on


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port() -> int:
    if _port_free(PORT):
        return PORT
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPPER_")}
    return {**env, "CLIPPER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), **extra}


def test_without_a_public_url_links_use_the_configured_port(tmp_path: Path, redis_url: str, sqlite_url: str) -> None:
    """CLIPPER_PORT=8731 and no CLIPPER_PUBLIC_BASE_URL: invite links and the player's media point at 8731."""
    settings = Settings.from_env({"CLIPPER_PORT": "8731", "CLIPPER_DATA_DIR": str(tmp_path / "data"),
                                  "CLIPPER_DATABASE_URL": sqlite_url, "CLIPPER_SECRET_KEY": "s"})
    assert settings.public_base_url == "http://127.0.0.1:8731"
    everywhere = Settings.from_env({"CLIPPER_HOST": "0.0.0.0", "CLIPPER_PORT": "9000"})
    assert everywhere.public_base_url == "http://127.0.0.1:9000"
    told = Settings.from_env({"CLIPPER_PORT": "8731", "CLIPPER_PUBLIC_BASE_URL": "https://clips.example.org/"})
    assert told.public_base_url == "https://clips.example.org"

    from web import create_app

    ctx = context.configure(settings, redis_url)
    app = create_app(settings, redis_url)
    app.config.update(TESTING=True)
    client = app.test_client()
    logged_in(client, ctx, "admin")
    invited = post_form(client, "/admin/users", {"email": "new@example.org", "role": "volunteer"})
    assert invited.status_code == 201
    links = re.findall(r"https?://[^\s\"<]+/password/[^\s\"<]+", invited.get_data(as_text=True))
    assert links and all(link.startswith("http://127.0.0.1:8731/password/") for link in links), links

    with ctx.sessions() as db:
        rec = Recording(title="Radio", status="ready", duration=5.0, original_key="recordings/1/original.mp3",
                        probe={"has_video": False})
        db.add(rec)
        db.commit()
        rid = rec.id
    html = client.get(f"/recordings/{rid}").get_data(as_text=True)
    config = json.loads(re.search(r'id="desk-config">(.*?)</script>', html, re.S).group(1))
    assert config["recording"]["media"].startswith("http://127.0.0.1:8731/files/"), config["recording"]["media"]


@pytest.mark.slow
def test_clipper_up_banner_says_which_url_links_use(tmp_path: Path) -> None:
    port = _port()
    env = _env(tmp_path, CLIPPER_PORT=str(port), CLIPPER_WORKERS="0")
    proc = subprocess.Popen([*CLIPPER, "up"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        banner = "".join(lines)
        url = f"http://127.0.0.1:{port}"
        assert f"running at {url}" in banner, banner
        assert f"Links (invites, media) use {url}" in banner and "CLIPPER_PUBLIC_BASE_URL" in banner, banner
        assert ":8000" not in banner, banner
        # and the web app is really there
        for _ in range(100):
            try:
                if requests.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise AssertionError("the web app never answered at " + url)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _users_create(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = _env(tmp_path, CLIPPER_REDIS_URL="redis://127.0.0.1:1/0")
    subprocess.run([*CLIPPER, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    return subprocess.run([*CLIPPER, "users", "create", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL, timeout=60)


def _can_log_in(tmp_path: Path, email: str, password: str) -> bool:
    from sqlalchemy import select
    from werkzeug.security import check_password_hash

    from clipper.db import make_engine, make_sessionmaker
    from clipper.models import User

    with make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'data' / 'clipper.db'}"))() as db:
        user = db.scalar(select(User).where(User.email == email))
        return user is not None and check_password_hash(user.password_hash, password)


def test_users_create_without_a_terminal_reads_the_password_from_stdin(tmp_path: Path) -> None:
    done = _users_create(tmp_path, "ops@example.org", "--role", "admin", "--token", "--password-stdin",
                         stdin="a long secret password\n")
    assert done.returncode == 0, done.stderr
    assert re.search(r"API token: clp_\S+", done.stdout), done.stdout
    assert "a long secret password" not in done.stdout + done.stderr
    assert _can_log_in(tmp_path, "ops@example.org", "a long secret password")


def test_users_create_without_a_terminal_or_a_password_says_how(tmp_path: Path) -> None:
    done = _users_create(tmp_path, "ops@example.org", "--token")
    assert done.returncode != 0
    assert "--password-stdin" in done.stderr and "Aborted" not in done.stderr, done.stderr
    empty = _users_create(tmp_path, "ops@example.org", "--password-stdin", stdin="\n")
    assert empty.returncode != 0 and "empty" in empty.stderr.lower(), empty.stderr
    assert not _can_log_in(tmp_path, "ops@example.org", "")


def test_users_create_documents_its_password_options() -> None:
    shown = subprocess.run([*CLIPPER, "users", "create", "--help"], cwd=ROOT, capture_output=True, text=True,
                           env=_env(Path("/nonexistent")), timeout=60).stdout
    assert "--password-stdin" in shown and "process list" in shown, shown
    readme = (ROOT / "README.md").read_text()
    assert "--password-stdin" in readme


def test_the_project_carries_its_own_architecture_document() -> None:
    """A fresh clone has no ../shared: the README points at docs/architecture.md, which names real files."""
    readme = (ROOT / "README.md").read_text()
    assert "../shared/DESIGN.md" not in readme and "docs/architecture.md" in readme
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for heading in ("## The pipeline", "## The data model", "## What runs where", "## Security boundaries"):
        assert heading in doc, heading
    named = set(re.findall(r"`((?:clipper|web|workers|storage|tests)/[\w/.-]*)`", doc))
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names files that are not in the tree: {missing}"
