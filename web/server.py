"""The production WSGI server behind ``clipper up`` and ``clipper web``.

granian is the default: its HTTP side (connections, keep-alive, parsing, queueing) is Rust, so a rush
of phones waits on Python only for the app itself, and the cached public pages cost microseconds
(web/page_cache.py). Several processes (``CLIPPER_WEB_PROCESSES``) use every core; each runs the app
in ``CLIPPER_WEB_THREADS`` Python threads, so slow requests (uploads, downloads) don't hold up the rest.
gunicorn with ``gthread`` workers and waitress remain (``CLIPPER_WEB_SERVER``): gunicorn where granian
has no wheel, waitress where neither runs. ``make bench`` (gallery) measures all three side by side;
BENCHMARKS.md has the figures.

Three things granian does not do that we need, done in each of its worker processes: a worker follows
its parent when that is killed (gunicorn's workers notice, granian's would keep the port); a second
stop signal does not deadlock it; and the server's own environment (the secret key among it) is
taken out of each request's WSGI environ, which granian starts CGI-style from ``os.environ``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from clipper.settings import Settings

BACKLOG = 2048  # connections the kernel queues while every thread is busy
CONNECTIONS = 1000  # open (keep-alive) connections per process
GRACE_SECONDS = 20  # requests under way may finish after a stop


def serve(settings: Settings, redis_url: str) -> None:
    if settings.web_server == "granian":
        _granian(settings, redis_url)
    elif settings.web_server == "gunicorn":
        _Gunicorn(settings, redis_url).run()
    elif settings.web_server == "waitress":
        from waitress import serve as waitress_serve

        waitress_serve(_app(settings, redis_url), host=settings.host, port=settings.port,
                       threads=settings.web_threads, connection_limit=CONNECTIONS, backlog=BACKLOG,
                       clear_untrusted_proxy_headers=True)
    else:
        raise SystemExit(f"CLIPPER_WEB_SERVER={settings.web_server!r}: choose granian, gunicorn or waitress.")


def _app(settings: Settings, redis_url: str) -> Any:
    from web import create_app

    return create_app(settings, redis_url)


def _granian(settings: Settings, redis_url: str) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    parent = os.getpid()
    server = Server(
        "web:create_app",  # only named: the app is built by _granian_worker_app in each worker
        address=settings.host, port=settings.port, interface=Interfaces.WSGI, workers=settings.web_processes,
        blocking_threads=settings.web_threads, backlog=BACKLOG, websockets=False, respawn_failed_workers=True,
        workers_kill_timeout=GRACE_SECONDS, log_dictconfig={"loggers": {  # granian's lines through our handler
            "_granian": {"level": "INFO", "propagate": True}, "granian.access": {"level": "WARNING"}}},
    )
    server.serve(target_loader=lambda: _granian_worker_app(settings, redis_url, parent), wrap_loader=False)


def _granian_worker_app(settings: Settings, redis_url: str, parent: int) -> Callable[..., Any]:
    """Run in each granian worker process after the fork, before granian copies ``os.environ``."""
    _follow_parent(parent)
    _stop_signals_reach_granian()
    for key in [k for k in os.environ if k.startswith("HTTP_") and k != "HTTP_PROXY"]:
        del os.environ[key]  # a header's name, not our configuration: it would read as every request's header
    return _WithoutServerEnviron(_app(settings, redis_url), dict(os.environ))


def _follow_parent(parent: int) -> None:
    """SIGTERM (a graceful stop) when the server's main process dies, however it died (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: a killed server leaves its workers to the service manager
    if os.getppid() != parent:  # it died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def _stop_signals_reach_granian() -> None:
    """A granian worker's main thread waits on a lock for the whole run. The kernel may hand a
    SIGINT/SIGTERM to one of its other threads; Python then runs the handler only when the main
    thread next runs, which it never does, and the worker hangs until the server kills it 20 s
    later (1 stop in 5 when Ctrl-C reaches the whole process group). Every caught signal is also
    written to a wakeup pipe, read here by a thread of ours that passes the first stop signal to
    granian's handler, whichever thread the kernel chose. A second one is never passed on: granian
    hands it to a one-slot channel with a blocking send, made with the GIL held."""
    from granian import _signals

    install = _signals.set_main_signals
    granian_handler: list[Callable[..., Any]] = []
    first = threading.Lock()  # taken by the first stop signal and never given back; never waited for,
    # as a handler may run on the main thread in the middle of another one

    def once(signum: int, frame: Any = None) -> None:
        if granian_handler and first.acquire(blocking=False):
            granian_handler[0](signum, frame)

    def set_main_signals(handler: Callable[..., Any], reload_handler: Callable[..., Any] | None = None) -> None:
        granian_handler.append(handler)
        install(once, reload_handler)

    _signals.set_main_signals = set_main_signals  # granian installs the worker's handlers after this
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)

    def watch() -> None:
        while data := os.read(read, 64):
            for signum in data:
                if signum in (signal.SIGINT, signal.SIGTERM):
                    once(signum)

    threading.Thread(target=watch, name="stop-signals", daemon=True).start()


class _WithoutServerEnviron:
    """granian builds each request's environ from ``os.environ`` plus the request: take the
    process's variables (the secret key among them) back out. Names a request may carry itself are
    left alone; ``HTTP_PROXY``, the one header-like variable we keep, goes when it is ours."""

    REQUEST_KEYS = frozenset({"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE",
                              "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE",
                              "REMOTE_ADDR", "REMOTE_PORT", "REMOTE_USER", "GATEWAY_INTERFACE", "RAW_URI",
                              "REQUEST_URI"})

    def __init__(self, app: Any, inherited: dict[str, str]) -> None:
        self.app = app
        self.ours = [k for k in inherited if k not in self.REQUEST_KEYS and not k.startswith("HTTP_")]
        self.proxy = inherited.get("HTTP_PROXY")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        for key in self.ours:
            environ.pop(key, None)
        if self.proxy is not None and environ.get("HTTP_PROXY") == self.proxy:
            del environ["HTTP_PROXY"]
        return self.app(environ, start_response)


def _gunicorn_base() -> Any:
    from gunicorn.app.base import BaseApplication

    return BaseApplication


class _Gunicorn(_gunicorn_base()):  # type: ignore[misc]
    """gunicorn run from Python: the app is built in each worker after the fork (no shared engine,
    Redis or S3 client crosses a fork)."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.settings, self.redis_url = settings, redis_url
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        for key, value in {
            "bind": f"{s.host}:{s.port}", "workers": s.web_processes, "threads": s.web_threads,
            "worker_class": "gthread", "worker_connections": CONNECTIONS, "backlog": BACKLOG,
            "keepalive": 5, "timeout": 120, "graceful_timeout": GRACE_SECONDS, "accesslog": None,
            "forwarded_allow_ips": "",  # the app decides which proxies to believe
        }.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return _app(self.settings, self.redis_url)
