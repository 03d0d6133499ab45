"""Published clips for the gallery tests: through the real render job, or from finished files.

- ``publish_rendered(ctx, source, ...)``: an approved clip on a recording of ``source``, rendered by
  the real render job, which publishes it (share copy and poster included);
- ``publish_files(ctx, mp4, ...)``: an approved clip whose renders are the given real MP4 (stored at
  the render keys, with their real size and checksum), published by ``clipper.gallery.publish`` as
  the render job would; for page tests that need many clips and no encoding.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clipper import gallery
from clipper.models import Clip, Publication, Recording, Render
from workers import context

WORDS = [{"start": 0.6, "end": 0.9, "text": "Hospitals"}, {"start": 1.0, "end": 1.3, "text": "open"},
         {"start": 1.4, "end": 1.8, "text": "spring"}]


def add_clip(ctx: context.Context, source: Path, *, presets: tuple[str, ...] = ("vertical",), status: str = "approved",
             start: float = 0.5, end: float = 2.0, **fields: Any) -> int:
    with ctx.sessions() as db:
        rec = Recording(title="News", status="ready", duration=5.0)
        db.add(rec)
        db.flush()
        rec.original_key = f"recordings/{rec.id}/original.mp4"
        ctx.store.put_file(rec.original_key, source)
        fields.setdefault("caption_words", WORDS)
        clip = Clip(recording_id=rec.id, start=start, end=end, presets=list(presets), status=status, **fields)
        db.add(clip)
        db.commit()
        return clip.id


def publish_rendered(ctx: context.Context, source: Path, **fields: Any) -> tuple[int, str]:
    from workers.jobs.render import render_clip

    clip_id = add_clip(ctx, source, **fields)
    render_clip(clip_id)
    return clip_id, slug_of(ctx, clip_id)


def publish_files(ctx: context.Context, mp4: Path, *, presets: tuple[str, ...] = ("vertical", "landscape"),
                  published_at: datetime | None = None, **fields: Any) -> tuple[int, str]:
    data = mp4.read_bytes()
    with ctx.sessions() as db:
        rec = Recording(title="News", status="ready", duration=5.0)
        db.add(rec)
        db.flush()
        fields.setdefault("caption_words", WORDS)
        clip = Clip(recording_id=rec.id, start=0.5, end=2.0, presets=list(presets), status="approved", **fields)
        db.add(clip)
        db.flush()
        vtt = f"clips/{clip.id}/captions.vtt"
        ctx.store.put_bytes(vtt, b"WEBVTT\n\n00:00.100 --> 00:01.000\nHospitals open\n")
        for preset in presets:
            key = f"clips/{clip.id}/{preset}.mp4"
            ctx.store.put_file(key, mp4, content_type="video/mp4")
            size = (1080, 1920) if preset == "vertical" else (1920, 1080)
            clip.renders.append(Render(preset=preset, status="done", storage_key=key, size=len(data),
                                       sha256=hashlib.sha256(data).hexdigest(), width=size[0], height=size[1],
                                       duration=1.5, vtt_key=vtt))
        db.flush()
        pub = gallery.publish(db, clip, None)
        if published_at is not None:
            pub.published_at = published_at
        db.commit()
        return clip.id, pub.slug


def slug_of(ctx: context.Context, clip_id: int) -> str:
    with ctx.sessions() as db:
        return db.scalar(select(Publication.slug).where(Publication.clip_id == clip_id)) or ""
