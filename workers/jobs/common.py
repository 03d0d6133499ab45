"""What every job shares: recording failures on the record and progress in ``job.meta``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rq import get_current_job
from sqlalchemy.orm import Session

from clipper.errors import ClipperError

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Something went wrong on our side; the team has the details. Try again, or ask an admin."


@contextmanager
def outcome_on(session: Session, record: Any, *, failed_status: str = "failed") -> Iterator[None]:
    """Expected errors end the job with their message on ``record``; others also re-raise for RQ."""
    try:
        yield
    except ClipperError as exc:
        session.rollback()
        record.status, record.error = failed_status, exc.message
        session.commit()
        if not exc.expected or getattr(exc, "retryable", False):
            raise  # RQ records it and, for a passing outage (storage down), retries the job
        log.info("%s %s failed: %s", type(record).__name__, record.id, exc.message)
    except Exception:
        session.rollback()
        record.status, record.error = failed_status, INTERNAL_ERROR
        session.commit()
        raise


def progress_reporter(session: Session, record: Any, *, low: float = 0.0, high: float = 1.0,
                      every: float = 1.0) -> Callable[[float], None]:
    """A callback that writes progress (scaled to [low, high]) to the record and ``job.meta``, at most once a second."""
    last = [0.0]
    job = get_current_job()

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < every and fraction < 1.0:
            return
        last[0] = now
        value = round(low + (high - low) * max(0.0, min(1.0, fraction)), 4)
        record.progress = value
        session.commit()
        if job is not None:
            job.meta["progress"] = value
            job.save_meta()

    return report
