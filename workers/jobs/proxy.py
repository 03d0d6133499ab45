"""Proxy: make the browser proxy, waveform peaks and poster of a recording's original.

It runs beside transcription and keeps to its own fields (``proxy_status``, ``proxy_error`` and the
three keys): a recording whose proxy fails stays usable - the UI falls back to the original - and
its transcription status is never touched here.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from clipper.errors import ClipperError
from clipper.limits import limits_from
from clipper.models import Recording
from clipper.probe import probe
from clipper.proxy import ProxyOptions
from clipper.proxy import make_proxy as build_proxy
from clipper.recordings import get_recording
from workers.context import current
from workers.jobs.common import INTERNAL_ERROR

log = logging.getLogger(__name__)


def make_proxy(recording_id: int) -> str:
    ctx = current()
    s = ctx.settings
    with ctx.sessions() as session:
        recording = get_recording(session, recording_id)
        if not recording.original_key:
            return recording.proxy_status  # ingest did not finish; it queues the proxy again when it does
        recording.proxy_status, recording.proxy_error = "making", ""
        session.commit()
        work = ctx.workdir(f"proxy-{recording_id}")
        try:
            with proxy_outcome(session, recording):
                original = ctx.store.get_file(recording.original_key, work / "original")
                info = probe(original, limits_from(s))
                made = build_proxy(original, info, work / "out", ProxyOptions(timeout=s.ffmpeg_timeout))
                prefix = f"recordings/{recording_id}"
                keys = {"proxy_key": f"{prefix}/proxy.mp4", "peaks_key": "", "poster_key": ""}
                ctx.store.put_file(keys["proxy_key"], made.video, content_type="video/mp4")
                if made.peaks is not None:
                    keys["peaks_key"] = f"{prefix}/peaks.json"
                    ctx.store.put_file(keys["peaks_key"], made.peaks, content_type="application/json")
                if made.poster is not None:
                    keys["poster_key"] = f"{prefix}/poster.jpg"
                    ctx.store.put_file(keys["poster_key"], made.poster, content_type="image/jpeg")
                for name, key in keys.items():
                    setattr(recording, name, key)
                recording.proxy_status = "ready"
                session.commit()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return recording.proxy_status


@contextmanager
def proxy_outcome(session: Session, recording: Recording) -> Iterator[None]:
    """Like ``outcome_on``, but failures go to the proxy's own fields, never the recording's status."""
    try:
        yield
    except ClipperError as exc:
        session.rollback()
        recording.proxy_status, recording.proxy_error = "failed", exc.message
        session.commit()
        if not exc.expected:
            raise
        log.info("proxy for recording %s failed: %s", recording.id, exc.message)
    except Exception:
        session.rollback()
        recording.proxy_status, recording.proxy_error = "failed", INTERNAL_ERROR
        session.commit()
        raise
