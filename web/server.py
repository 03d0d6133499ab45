"""The production WSGI server behind ``clipper up`` and ``clipper web``.

gunicorn with ``gthread`` workers is the default: several processes (so the public pages of a rush
use every core, not one GIL) of many threads each, and keep-alive connections parked in a poller
rather than holding a thread, so hundreds of phones can stay connected. waitress (one process,
``CLIPPER_WEB_THREADS`` threads) remains for platforms gunicorn does not run on; we raise its
connection limit from 100, which turns a rush of 200 phones into queued connections. ``make bench``
(gallery) measures both side by side; BENCHMARKS.md has the figures.
"""

from __future__ import annotations

from typing import Any

from clipper.settings import Settings

BACKLOG = 2048  # connections the kernel queues while every thread is busy
CONNECTIONS = 1000  # open (keep-alive) connections per process


def serve(settings: Settings, redis_url: str) -> None:
    if settings.web_server == "waitress":
        from waitress import serve as waitress_serve

        from web import create_app

        waitress_serve(create_app(settings, redis_url), host=settings.host, port=settings.port,
                       threads=settings.web_threads, connection_limit=CONNECTIONS, backlog=BACKLOG,
                       clear_untrusted_proxy_headers=True)
        return
    if settings.web_server != "gunicorn":
        raise SystemExit(f"CLIPPER_WEB_SERVER={settings.web_server!r}: choose gunicorn or waitress.")
    _Gunicorn(settings, redis_url).run()


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
            "keepalive": 5, "timeout": 120, "graceful_timeout": 20, "accesslog": None,
            "forwarded_allow_ips": "",  # the app decides which proxies to believe
        }.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web import create_app

        return create_app(self.settings, self.redis_url)
