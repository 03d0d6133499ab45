"""Log lines as text or JSON (``CLIPPER_LOG_FORMAT``), carrying the request and job they belong to.

A web request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one, else a new one); a
job enqueued during that request keeps it in ``job.meta["request_id"]``, and the worker running the
job logs with both ids — so one grep follows a volunteer's click through every host.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("clipper_request_id", default="")
job_id: contextvars.ContextVar[str] = contextvars.ContextVar("clipper_job_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def new_request_id(offered: str | None = None) -> str:
    """The proxy's id when it looks like one (no spaces, quotes or newlines to forge log lines), else a new one."""
    return offered if offered and _SANE_ID.match(offered) else uuid.uuid4().hex


@contextmanager
def bound(*, request: str = "", job: str = "") -> Iterator[None]:
    tokens = [(request_id, request_id.set(request)) if request else None, (job_id, job_id.set(job)) if job else None]
    try:
        yield
    finally:
        for pair in reversed(tokens):
            if pair:
                pair[0].reset(pair[1])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and job ids, extra fields."""

    RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id.get():
            line["request_id"] = request_id.get()
        if job_id.get():
            line["job_id"] = job_id.get()
        for key, value in record.__dict__.items():
            if key not in self.RESERVED and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _IdsInText(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ids = " ".join(f"{k}={v}" for k, v in (("request", request_id.get()), ("job", job_id.get())) if v)
        if ids and not getattr(record, "_ids_added", False):
            record.msg = f"{record.msg} [{ids}]"
            record._ids_added = True
        return True


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Set up the root logger once per process (web, worker or ``clipper up``)."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        handler.addFilter(_IdsInText())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
