"""Records -> the JSON shapes the API returns. Dicts appear only here, at the boundary."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, url_for

from clipper.live import timer
from clipper.models import Clip, Recording, Render
from storage import ObjectStore

# A preview (a volunteer's rough cut, not yet reviewed) is private: an hour-long link, for its owner and
# the reviewers only. Finished renders of approved clips keep their long-lived public link.
PREVIEW_LINK_SECONDS = 3600


def _time(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def recording(r: Recording) -> dict[str, Any]:
    return {
        "id": r.id, "title": r.title, "source": r.source, "source_url": r.source_url, "channel": r.channel,
        "aired_at": _time(r.aired_at), "duration": r.duration, "status": r.status, "progress": r.progress,
        "error": r.error or None, "language": r.language or None, "probe": r.probe or None,
        "proxy": {"status": r.proxy_status or None, "error": r.proxy_error or None},
        "created_at": _time(r.created_at), "updated_at": _time(r.updated_at),
        "jobs": {"ingest": f"ingest-recording-{r.id}", "transcribe": f"transcribe-recording-{r.id}"},
    }


def render(r: Render, store: ObjectStore | None = None) -> dict[str, Any]:
    if r.status == "preview":
        url = ""
        if store is not None and r.storage_key and _may_preview(r.clip):
            url = store.url(r.storage_key, expires=PREVIEW_LINK_SECONDS)
    else:
        url = r.public_url
        if store is not None and r.storage_key and r.status == "done":
            url = store.url(r.storage_key, download_name=f"clip-{r.clip_id}-{r.preset}.mp4") or url
    return {
        "id": r.id, "preset": r.preset, "status": r.status, "progress": r.progress, "url": url or None,
        "storage_key": r.storage_key or None, "size": r.size, "sha256": r.sha256 or None, "width": r.width,
        "height": r.height, "duration": r.duration, "error": r.error or None,
        "finished_at": _time(r.finished_at),
    }


def clip(c: Clip, store: ObjectStore | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "recording_id": c.recording_id, "start": c.start, "end": c.end, "duration": round(c.duration, 3),
        "title": c.title, "speaker": c.speaker, "tags": c.tags, "post_copy": c.post_copy,
        "caption_words": c.caption_words, "caption_text": " ".join(w["text"] for w in c.caption_words),
        "presets": c.presets, "status": c.status, "version": c.version, "review_note": c.review_note or None,
        "renders": [render(r, store) for r in sorted(c.renders, key=lambda r: r.preset)],
        "job": f"render-clip-{c.id}",
        "created_at": _time(c.created_at), "updated_at": _time(c.updated_at),
    }


def _may_preview(c: Clip) -> bool:
    if not has_request_context():
        return False
    from web.permissions import can

    return can("clip.preview", c)


def live_timer(report: timer.TimerReport, timezone: str) -> dict[str, Any]:
    return {"window": report.window, "since": _time(report.since), "until": _time(report.until), "timezone": timezone,
            "stages": [{"stage": f.stage.key, "label": f.stage.label, "count": f.count, "p50_seconds": _seconds(f.p50),
                        "p95_seconds": _seconds(f.p95), "p50": timer.human(f.p50), "p95": timer.human(f.p95)}
                       for f in report.stages],
            "clips": [_clip_moments(c) for c in report.clips]}


def _clip_moments(c: timer.ClipMoments) -> dict[str, Any]:
    return {"id": c.clip_id, "recording_id": c.recording_id, "title": c.title,
            "url": url_for("recording_page.page", recording_id=c.recording_id, clip=c.clip_id),
            **{name: _time(getattr(c, name)) for name in timer.MOMENTS},
            "seconds": {s.key: _seconds(c.seconds(s)) for s in timer.STAGES}}


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
