"""Render: turn a clip into share-ready MP4s in object storage, and a rough preview in seconds.

The render rows (one per clip and preset) are the record of truth: a row says ``done`` only once its
MP4 is in the store with the size and sha256 we wrote. Keys are deterministic, so a re-render (after a
caption fix) overwrites and never leaves a second object behind.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rq import get_current_job
from sqlalchemy.orm import Session

from clipper.clips import get_clip
from clipper.errors import ClipperError, RenderError, StorageError
from clipper.models import Branding, Clip, Render, utcnow
from clipper.probe import probe
from clipper.render import Encoder, Loudness, Source, build_plan, options_from, render, write_sidecars
from clipper.render.preview import rough_preview, rough_vertical
from clipper.render.speaker import speaker_for
from storage import ObjectStore
from workers.context import Context, current
from workers.jobs.common import INTERNAL_ERROR
from workers.jobs.gallery import publish_when_ready
from workers.jobs.live import live_excerpt

log = logging.getLogger(__name__)
VIDEO_CACHE = "public, max-age=60, must-revalidate"  # re-renders replace the object at the same key
# The URL recorded on a render is handed to supporters and schedulers, so it must outlive the job:
# S3 gives the public base URL when one is set (else a presigned link, which S3 caps at a week);
# the local store signs it for years (the signature still covers the key, so it cannot be re-aimed).
PUBLIC_URL_SECONDS = 10 * 365 * 24 * 3600
# Public files come only from a lead's approval: a render job for a clip in any other state does nothing.
RENDERABLE = ("approved", "published")


def preview_key(clip_id: int, preset: str) -> str:
    """Private: previews are reviewed work in progress, never under the public ``clips/`` prefix."""
    return f"previews/{clip_id}/{preset}.mp4"


def render_clip(clip_id: int) -> str:
    ctx, s = current(), current().settings
    with ctx.sessions() as session:
        clip = get_clip(session, clip_id)
        if clip.status not in RENDERABLE:
            log.warning("clip %s is %s, not approved: no public render", clip_id, clip.status)
            return f"skipped: clip is {clip.status}"
        rows = render_rows(session, clip)
        for row in rows:
            row.status, row.error, row.progress = "rendering", "", 0.0
        session.commit()
        job_progress(0.0)
        work = ctx.workdir(f"render-{clip_id}")
        try:
            with outcome_on_rows(session, rows):
                media = clip_media(ctx, session, clip, work)
                source = media.source
                record = session.get(Branding, 1)
                logo = fetch_logo(ctx.store, record.logo_key, work) if record and record.logo_key else None
                speaker = speaker_for(session, clip.speaker, clip.speaker_role)  # role from the People page
                photo = fetch_photo(ctx.store, speaker.photo_key, work) if not source.has_video else None
                plan = build_plan(
                    source, start=media.start, end=media.end, presets=[r.preset for r in rows],
                    words=media.words, title=clip.title, speaker=speaker.name,
                    speaker_role=speaker.role, crop_x=clip.crop_x, photo=photo,
                    branding=options_from(record, logo_path=logo, default_font=s.caption_font),
                    loudness=Loudness(s.render_loudness_lufs, s.render_true_peak),
                    encoder=Encoder(s.render_x264_preset, s.render_crf), timeout=s.ffmpeg_timeout,
                    max_seconds={"landscape": s.render_max_landscape_seconds,
                                 "square": s.render_max_square_seconds, "vertical": s.render_max_vertical_seconds},
                )
                results = render(plan, work / "out", progress=rows_progress(session, rows, high=0.9))
                sidecars = write_sidecars(plan, work)
                srt = put_verified(ctx.store, f"clips/{clip_id}/captions.srt", sidecars.srt, public=True)
                vtt = put_verified(ctx.store, f"clips/{clip_id}/captions.vtt", sidecars.vtt, public=True)
                by_preset = {r.preset: r for r in rows}
                for i, out in enumerate(results):
                    row = by_preset[out.preset]
                    poster = put_verified(ctx.store, f"clips/{clip_id}/{out.preset}.jpg", out.poster, public=True)
                    if i == 0:
                        put_verified(ctx.store, f"clips/{clip_id}/poster.jpg", out.poster, public=True)
                    key = put_verified(ctx.store, f"clips/{clip_id}/{out.preset}.mp4", out.path, public=True,
                                       content_type="video/mp4", cache_control=VIDEO_CACHE)
                    row.storage_key, row.public_url = key, public_url(ctx.store, key)
                    row.size, row.sha256 = out.path.stat().st_size, sha256_file(out.path)
                    row.width, row.height, row.duration = out.width, out.height, out.duration
                    row.srt_key, row.vtt_key, row.poster_key = srt, vtt, poster
                    row.status, row.progress, row.error, row.finished_at = "done", 1.0, "", utcnow()
                    row.first_finished_at = row.first_finished_at or row.finished_at  # a re-render keeps it
                    session.commit()
                job_progress(1.0)
                # The gallery: publish (or refresh) once approved and every render is done.
                publish_when_ready(ctx, session, clip, results, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return ",".join(f"{r.preset}:{r.status}" for r in rows)


def preview_clip(clip_id: int) -> str:
    """A rough cut (keyframes, no captions, no re-encode) at the link the full render will replace."""
    ctx = current()
    with ctx.sessions() as session:
        if session.get(Clip, clip_id) is None:
            return "deleted"  # the volunteer deleted the draft before its preview was made: nothing to do
        clip = get_clip(session, clip_id)
        if clip.status in RENDERABLE:
            return "skipped: approved clips get their real renders"
        row = render_rows(session, clip)[0]
        if row.status in ("done", "rendering"):
            return row.status  # the real thing is there (or on its way): never cover it with a preview
        session.commit()  # the row exists before the work: a preview that cannot be made says why on it
        work = ctx.workdir(f"preview-{clip_id}")
        try:
            with outcome_on_rows(session, [row]):
                media: ClipMedia | None = None
                # A save while this job runs is not queued again (one job per clip): cut again until the
                # preview matches the clip as it is now, so the reviewer never watches an older cut.
                for _ in range(3):
                    cut = (clip.start, clip.end)
                    if media is None or clip.recording.source == "live":  # a live clip's segments follow its range
                        media = clip_media(ctx, session, clip, work)
                    # vertical first (an alert's draft): a small 9:16 cut, else the picture as it is, stream-copied
                    cut_preview = rough_vertical if row.preset == "vertical" and media.source.has_video else rough_preview
                    out = cut_preview(media.source.path, clip.start - media.offset, clip.end - media.offset,
                                      work / "preview.mp4")
                    key = put_verified(ctx.store, preview_key(clip_id, row.preset), out,
                                       content_type="video/mp4", cache_control="private, max-age=60")
                    session.refresh(row)
                    if row.status not in ("done", "rendering"):
                        row.storage_key, row.public_url, row.status = key, "", "preview"
                        row.size, row.sha256 = out.stat().st_size, sha256_file(out)
                        session.commit()
                    session.refresh(clip)
                    if (clip.start, clip.end) == cut or row.status in ("done", "rendering"):
                        break
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return row.status


def render_rows(session: Session, clip: Clip) -> list[Render]:
    """One row per preset the clip asks for (the unique constraint keeps it one)."""
    existing = {r.preset: r for r in clip.renders}
    rows = []
    for preset in dict.fromkeys(clip.presets or ["landscape", "square", "vertical"]):  # each preset once
        row = existing.get(preset)
        if row is None:
            row = Render(clip_id=clip.id, preset=preset, status="queued")
            session.add(row)
            clip.renders.append(row)
        rows.append(row)
    session.flush()
    return rows


@contextmanager
def outcome_on_rows(session: Session, rows: list[Render]) -> Iterator[None]:
    """Like ``outcome_on`` for several rows: those not done fail with the error; unexpected ones re-raise."""
    try:
        yield
    except ClipperError as exc:
        _fail(session, rows, exc.message)
        if not exc.expected:
            raise
    except Exception:
        _fail(session, rows, INTERNAL_ERROR)
        raise


def _fail(session: Session, rows: list[Render], message: str) -> None:
    session.rollback()
    for row in rows:
        if row.status != "done":
            row.status, row.error = "failed", message
    session.commit()


def rows_progress(session: Session, rows: list[Render], *, high: float = 1.0):  # type: ignore[no-untyped-def]
    """Progress on the render rows and in ``job.meta`` (what ``GET /api/v1/jobs/<id>`` reports), once a second."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0 and fraction < 1.0:
            return
        last[0] = now
        value = round(min(1.0, fraction) * high, 4)
        for row in rows:
            row.progress = value
        session.commit()
        job_progress(value)

    return report


def job_progress(value: float) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = value
        job.save_meta()


@dataclass(frozen=True)
class ClipMedia:
    """The file a clip is cut from, with the clip's range and caption words on that file's clock."""

    source: Source
    start: float
    end: float
    words: list[dict[str, Any]]
    offset: float  # the recording's time at the file's start


def clip_media(ctx: Context, session: Session, clip: Clip, work: Path) -> ClipMedia:
    """A live recording's clip comes from its stored segments (on air, and after, where gaps stay gaps);
    any other from the recording's original."""
    if clip.recording.source == "live":
        path, offset = live_excerpt(ctx, session, clip.recording_id, clip.start, clip.end, work)
    else:
        path, offset = fetch_original(ctx, clip, work), 0.0
    info = probe(path)
    source = Source(Path(path), info.width, info.height, info.fps or 25.0, info.has_audio, info.duration)
    words = [{**w, "start": round(w["start"] - offset, 3), "end": round(w["end"] - offset, 3)}
             for w in clip.caption_words or []]
    return ClipMedia(source, round(clip.start - offset, 3), round(clip.end - offset, 3), words, offset)


def fetch_original(ctx: Context, clip: Clip, work: Path) -> Path:
    recording = clip.recording
    key = recording.original_key
    if not key or not ctx.store.exists(key):
        raise RenderError("The recording's original file is no longer in storage, so this clip cannot be "
                          "rendered. Add the recording again, then mark the clip on it.")
    local = getattr(ctx.store, "local_path", None)
    return Path(local(key) if local else ctx.store.get_file(key, work / ("original." + key.rsplit(".", 1)[-1])))


def fetch_logo(store: ObjectStore, key: str, work: Path) -> Path:
    if not store.exists(key):
        raise RenderError("The logo file is missing from storage: upload it again on the Branding page, "
                          "or remove the logo.")
    return store.get_file(key, work / "logo.png")


def fetch_photo(store: ObjectStore, key: str, work: Path) -> Path | None:
    """The speaker's photo for an audiogram; a missing one falls back to the background colour."""
    if not key or not store.exists(key):
        return None
    return store.get_file(key, work / ("photo." + key.rsplit(".", 1)[-1]))


def public_url(store: ObjectStore, key: str) -> str:
    """A link to a published render that stays valid (see ``PUBLIC_URL_SECONDS``)."""
    return store.url(key, expires=PUBLIC_URL_SECONDS, public=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def put_verified(store: ObjectStore, key: str, path: Path, *, attempts: int = 3, **options: object) -> str:
    """Upload ``path`` and read back size and checksum; retry a few times, then fail so RQ retries the job."""
    size, digest = path.stat().st_size, sha256_file(path)
    problem = ""
    for attempt in range(attempts):
        try:
            store.put_file(key, path, **options)  # type: ignore[arg-type]
            found = store.stat(key)
            if found is not None and found.size == size and (found.sha256 or _stored_sha(store, key)) == digest:
                return key
            problem = "the stored copy does not match what was rendered"
        except Exception as exc:  # botocore, OSError…: the store is unreachable or refused the object
            problem = str(exc) or type(exc).__name__
        log.warning("upload of %s failed (attempt %d): %s", key, attempt + 1, problem)
        time.sleep(0.5 * 2**attempt)
    raise StorageError(f"Could not save the render to storage ({problem}). It will be tried again.", expected=False)


def _stored_sha(store: ObjectStore, key: str) -> str:
    digest = hashlib.sha256()
    with store.open(key) as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
