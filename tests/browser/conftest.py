"""Browser-test fixtures: the real app served by a real HTTP server in a thread, driven by Chromium.

- ``live_server``: a fresh data dir, a migrated SQLite database and the test Redis (flushed), the Flask
  app served on 127.0.0.1; ``live_server.url``, ``.settings``, ``.redis_url``, ``.sessions``,
  ``.make_user(email, role, password)``, ``.run_jobs()`` (queued jobs, in this process) and
  ``.start_worker()`` (a real ``clipper worker`` process working in the background until the test ends).
- ``browser``: one Chromium (``/usr/bin/chromium``) for the session.
- ``page_as(role, width=1280, height=900)``: a new browser page logged in through the login form as a
  fresh user with that role; the user is ``page.clipper_user`` (id, email, role, password).
- ``screenshot(page, name)``: writes ``var/screenshots/<name>.png`` for reviewers.
- ``check_a11y(page)``: runs axe-core in the page; fails on serious or critical violations.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clipper.db import upgrade
from clipper.settings import Settings
from tests.conftest import run_jobs
from workers import context

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"


@dataclass
class BrowserUser:
    id: int
    email: str
    role: str
    password: str


@dataclass
class LiveServer:
    url: str
    settings: Settings
    redis_url: str
    app: Any
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        return self.app.extensions["clipper.sessions"]

    def make_user(self, email: str, role: str = "volunteer", password: str = PASSWORD,
                  name: str = "") -> BrowserUser:
        from werkzeug.security import generate_password_hash

        from clipper.models import User

        with self.sessions() as db:
            user = User(email=email, name=name or email.split("@")[0], role=role,
                        password_hash=generate_password_hash(password))
            db.add(user)
            db.commit()
            return BrowserUser(user.id, email, role, password)

    def run_jobs(self) -> None:
        """Run every queued job now, in this process (RQ's SimpleWorker, burst)."""
        run_jobs(self.redis_url)

    def start_worker(self, *queues: str) -> subprocess.Popen[bytes]:
        """A real worker process on this server's settings; stopped when the test ends."""
        env = dict(os.environ, CLIPPER_DATA_DIR=str(self.settings.data_dir),
                   CLIPPER_DATABASE_URL=self.settings.database_url, CLIPPER_REDIS_URL=self.redis_url,
                   CLIPPER_STORAGE_URL=self.settings.storage_url, CLIPPER_SECRET_KEY=self.settings.secret_key,
                   CLIPPER_PUBLIC_BASE_URL=self.url)
        log = open(self.settings.data_dir / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "worker", *queues], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.workers.append(proc)
        return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path, redis_url: str) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from web import create_app

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{data_dir / 'clipper.db'}"
    data_dir.mkdir(parents=True)
    upgrade(database_url)
    settings = Settings.from_env({}, data_dir=data_dir, database_url=database_url, secret_key="browser-secret",
                                 public_base_url=url)
    context.configure(settings, redis_url)  # for run_jobs() in this process
    app = create_app(settings, redis_url)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(url=url, settings=settings, redis_url=redis_url, app=app)
    try:
        yield live
    finally:
        for proc in live.workers:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page: Any, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def page_as(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []
    counter = iter(range(1000))

    def make(role: str = "volunteer", width: int = 1280, height: int = 900, email: str = "") -> Any:
        user = live_server.make_user(email or f"{role}{next(counter)}@example.org", role)
        ctx = browser.new_context(viewport={"width": width, "height": height}, timezone_id="UTC")
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        log_in(page, live_server.url, user.email, user.password)
        page.clipper_user = user
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    def take(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    # Evaluated through the devtools protocol: an inline <script> tag would be (rightly) blocked by the CSP.
    page.evaluate(f"() => {{ {_axe_source()}\n if (typeof axe !== 'undefined') window.axe = axe; }}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


@pytest.fixture
def check_a11y() -> Callable[[Any], None]:
    def check(page: Any) -> None:
        bad = axe_violations(page)
        summary = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                            f"{[n['target'] for n in v['nodes']][:5]}" for v in bad)
        assert not bad, f"Accessibility problems on {page.url}:\n{summary}"

    return check
