"""Transcribing a live recording as its segments arrive, and finishing it when the stream ends.

Each stored segment queues ``transcribe_live``; one run at a time per recording (a Redis lock)
transcribes everything stored after the recording's checkpoint. Words near the live edge are not
trusted yet: the checkpoint stops at the last segment ending ``EDGE_GUARD`` seconds before the
audio does, and the next run reads on from there with the new segment, so a word cut by a segment
seam is heard whole, once. When the stream has ended, ``final=True`` takes the rest and makes the
joined recording the original, so it renders and plays like any other.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path, PurePosixPath

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipper import ffmpeg, glossary
from clipper.errors import ClipperError, RenderError
from clipper.live import alerts
from clipper.live.mp4 import split_init
from clipper.models import LiveSegment, Recording, Segment
from clipper.recordings import get_recording
from clipper.speech import SAMPLE_RATE, decode_audio, load_backend
from clipper.speech.audio import read_pcm
from clipper.speech.chunks import Chunk
from clipper.speech.spans import Span, spans_of, speech_regions
from clipper.speech.store import append_chunk
from clipper.speech.turns import with_speakers
from workers import queues
from workers.context import Context, current
from workers.jobs.alerts import deliver_alert
from workers.jobs.common import outcome_on
from workers.jobs.transcribe import speech_options

log = logging.getLogger(__name__)

EDGE_GUARD = 2.0  # seconds before the end of the audio where words are not final yet
MAX_PENDING = 120.0  # speech this long without a pause is taken anyway, to keep up with the air
LOCK_SECONDS = 30  # renewed after each stretch; a killed worker's lock lapses this soon
MAX_RUN = 3  # segments per stretch: each stretch commits, so a crash loses at most this much work
INLINE_DELIVERY_TIMEOUT = 3.0  # seconds a slow webhook may hold up the transcript before a job takes over


def transcribe_live(recording_id: int, final: bool = False) -> str:
    ctx = current()
    with ctx.redis.lock(f"clipper:live-transcribe:{recording_id}", timeout=LOCK_SECONDS,
                        blocking_timeout=LOCK_SECONDS * 4) as lock:
        with ctx.sessions() as session:
            recording = get_recording(session, recording_id)
            work = ctx.workdir(f"live-{recording_id}")
            try:
                with outcome_on(session, recording, failed_status=recording.status):
                    while _transcribe_stretch(ctx, session, recording, work, final=final):
                        lock.reacquire()
                    if final:
                        _finish(ctx, session, recording, work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            return recording.status


def _transcribe_stretch(ctx: Context, session: Session, recording: Recording, work: Path, *, final: bool) -> bool:
    """Transcribe the stored, gapless run of segments after the checkpoint; False when nothing is left."""
    pending = session.scalars(select(LiveSegment).where(
        LiveSegment.recording_id == recording.id, LiveSegment.status == "stored").order_by(LiveSegment.idx)).all()
    pending = [s for s in pending if s.end > recording.transcribed_until + 0.01]
    if not pending:
        return False
    run = [pending[0]]
    for seg in pending[1:MAX_RUN]:
        if seg.gap_before > 0 or abs(seg.start - run[-1].end) > 0.05:
            break  # audio after a gap is read on its own, so its words keep their true times
        run.append(seg)
    start = max(recording.transcribed_until, run[0].start)
    end = run[-1].end
    if not final and len(run) == len(pending) and end - start < EDGE_GUARD * 2:
        return False  # too little new audio past the checkpoint: wait for the next segment
    try:
        audio = _run_audio(ctx, run, work)[_sample(start - run[0].start):]
    except _BadSegment as bad:
        session.commit()  # the segment is set aside with its reason; the rest is read on the next pass
        log.warning("live recording %s: %s", recording.id, bad)
        return True
    terms = tuple(e.term for e in glossary.list_terms(session))
    options = speech_options(ctx.settings, terms)
    regions = speech_regions(audio)  # heard once: for the spans to decode and for where the next pass starts
    result = load_backend(options).transcribe_array(audio, None, offset=start,
                                                    spans=spans_of(regions, audio) if options.vad else None)
    at_edge = not final and len(run) == len(pending)  # more audio will follow this run
    segments = result.segments
    if at_edge:
        cut = end - EDGE_GUARD
        kept = tuple(s for s in segments if s.words and s.words[-1].end <= cut)
        if kept:
            later = [s.words[0].start for s in segments if s.words and s.words[-1].end > cut]
            until = _checkpoint(regions, start, kept[-1].words[-1].end, cut, later[0] if later else None)
        elif not any(s.words for s in segments):
            until = cut  # silence or music up to the edge
        elif end - start > MAX_PENDING:
            kept, until = tuple(s for s in segments if s.words), end
        else:
            return False  # one sentence still running into the edge: hear it whole next time
        segments = kept
    else:
        until = end
    before = session.scalar(select(func.coalesce(func.max(Segment.idx), -1)).where(Segment.recording_id == recording.id))
    chunk = Chunk(index=recording.transcribed_chunks, start=round(start, 3), end=round(until, 3), segments=segments)
    names: dict[str, str] = {}
    if ctx.settings.whisper_speakers and segments:  # the recording's voices carry on from stretch to stretch
        pcm = work / "stretch.pcm"
        (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tofile(pcm)
        names, chunk = with_speakers(session, recording.id, pcm, start, chunk)
    append_chunk(session, recording, chunk, names)
    for seg in run:
        if seg.end <= until + 0.01:
            seg.status = "transcribed"
    new = session.scalars(select(Segment).where(Segment.recording_id == recording.id, Segment.idx > before)
                          .order_by(Segment.idx)).all()
    fired = alerts.fire(session, recording, new)
    session.commit()  # words, checkpoint and alert hits together: a rerun after a crash starts here
    for hit in fired:
        queues.enqueue_preview(ctx.redis, hit.clip_id)  # the draft's rough vertical cut, from the segments
        if hit.sends:
            _deliver_now(ctx, hit.hit_id)
    return not at_edge


def _checkpoint(regions: list[Span], start: float, last_end: float, cut: float, next_start: float | None) -> float:
    """Where the next pass starts after a kept sentence ending at ``last_end``: past the end of the speech
    that word is in (the aligner ends a word before its sound does; a pass that starts on the tail of a
    word hears a syllable and makes up words for it), in the pause before whatever is said next."""
    until = last_end
    for region in regions:
        if start + region.start <= last_end <= start + region.end:
            until = start + region.end  # the VAD's region, padded: the sound's end and a little silence
            break
    if next_start is not None and until >= next_start:
        until = (last_end + next_start) / 2  # no real pause before the next sentence: halfway to it
    return round(max(last_end, min(until, cut)), 3)


def _deliver_now(ctx: Context, hit_id: int) -> None:
    """Send the alert from here, seconds after the words were stored; a failure is retried by a job."""
    try:
        deliver_alert(hit_id, timeout=INLINE_DELIVERY_TIMEOUT)
    except Exception:  # the webhook is slow or down: the publish queue retries it with back-off
        queues.enqueue_alert_delivery(ctx.redis, hit_id)


def _join(ctx: Context, segments: list[LiveSegment], dest: Path) -> Path:
    """Stored segments joined into one file (``dest`` with the segments' suffix): MPEG-TS by concatenation
    (the format is made for it); fragmented MP4 as the first segment whole, then the fragments of the
    others without their copies of the initialisation section."""
    suffix = PurePosixPath(segments[0].storage_key).suffix or ".ts"
    dest = dest.with_suffix(suffix)
    with dest.open("wb") as out:
        for i, seg in enumerate(segments):
            with ctx.store.open(seg.storage_key) as fh:
                if suffix == ".mp4" and i:
                    out.write(split_init(fh.read())[1])
                else:
                    shutil.copyfileobj(fh, out)
    return dest


def live_excerpt(ctx: Context, session: Session, recording_id: int, start: float, end: float,
                 work: Path) -> tuple[Path, float]:
    """The stored segments around ``[start, end]`` joined into one file, and the recording offset at which
    that file starts: a clip of a live recording is cut from its segments, on air or after (air the
    recorder missed is a gap in the recording's clock that a joined file would close up)."""
    rows = session.scalars(select(LiveSegment).where(
        LiveSegment.recording_id == recording_id, LiveSegment.start + LiveSegment.duration > start - 1.0,
        LiveSegment.start < end)
        .order_by(LiveSegment.idx)).all()
    if not rows or rows[0].start > start + 0.01 or rows[-1].end < end - 0.05:
        raise RenderError("This part of the live recording is not stored (yet): mark the clip on words already "
                          "shown on the desk.")
    for before, after in zip(rows, rows[1:], strict=False):
        if after.gap_before > 0 or abs(after.start - before.end) > 0.05:
            raise RenderError("This clip crosses a gap in the live recording (air the recorder missed): "
                              "clip the part before the gap or the part after it.")
    bad = next((r for r in rows if r.status == "failed" or not r.storage_key), None)
    if bad is not None:
        raise RenderError(f"Part of this clip ({bad.start:.0f}–{bad.end:.0f} s) was not media we could read "
                          "when it aired, so it cannot be rendered: clip around it.")
    joined = _join(ctx, list(rows), work / "live-excerpt.ts")
    # Seeking inside concatenated MPEG-TS lands in the wrong segment (no index; ffmpeg guesses by bytes):
    # a stream copy into Matroska gives the cut an index to seek by.
    indexed = work / "live-excerpt.mkv"
    ffmpeg.run([*ffmpeg.HARDENED_INPUT, "-i", str(joined),
                "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-f", "matroska", "-y", str(indexed)],
               timeout=ctx.settings.ffmpeg_timeout)
    joined.unlink()
    return indexed, rows[0].start


class _BadSegment(Exception):
    pass


def _run_audio(ctx: Context, run: list[LiveSegment], work: Path) -> np.ndarray:
    """The run's audio with each segment decoded on its own and laid at its own offset (cut or padded to
    its length), so a timestamp jump inside the stream (an encoder restart, a splice) cannot shift words.
    A segment that is not media is marked failed (its time becomes a hole in the transcript, said on
    the segment) and ``_BadSegment`` raised."""
    parts = []
    for seg in run:
        try:
            pcm = decode_audio(_join(ctx, [seg], work / "one.ts"), work / "one.pcm", timeout=ctx.settings.ffmpeg_timeout)
        except ClipperError as exc:
            seg.status, seg.error = "failed", f"This part of the stream was not media we can read: {exc.message}"[:2000]
            raise _BadSegment(seg.error) from exc
        samples, length = read_pcm(pcm), _sample(seg.duration)
        parts.append(np.pad(samples[:length], (0, max(0, length - len(samples)))))
    return np.concatenate(parts)


def _sample(seconds: float) -> int:
    return max(0, int(round(seconds * SAMPLE_RATE)))


def _finish(ctx: Context, session: Session, recording: Recording, work: Path) -> None:
    """The stream ended: the segments joined become the original, and the recording is ready."""
    segments = list(session.scalars(select(LiveSegment).where(
        LiveSegment.recording_id == recording.id, LiveSegment.status != "failed").order_by(LiveSegment.idx)))
    if not segments:
        recording.fail("The stream ended before anything was recorded.")
        session.commit()
        return
    joined = _join(ctx, segments, work / "original.ts")
    key = f"recordings/{recording.id}/original{joined.suffix}"
    ctx.store.put_file(key, joined)
    recording.original_key, recording.duration = key, segments[-1].end
    recording.status, recording.progress = "ready", 1.0
    session.commit()
    queues.enqueue_proxy(ctx.redis, recording.id)
