"""Transcribing a live recording as its segments arrive, and finishing it when the stream ends.

Each stored segment queues ``transcribe_live``; one run at a time per recording (a Redis lock)
transcribes everything stored after the recording's checkpoint. Words near the live edge are not
trusted yet: the checkpoint stops at the last segment ending ``EDGE_GUARD`` seconds before the
audio does, and the next run reads on from there with the new segment, so a word cut by a segment
seam is heard whole, once. When the stream has ended, ``final=True`` takes the rest and makes the
joined recording the original, so it renders and plays like any other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipper import glossary
from clipper.live import alerts
from clipper.models import LiveSegment, Recording, Segment
from clipper.recordings import get_recording
from clipper.speech import decode_audio, load_backend
from clipper.speech.audio import read_pcm
from clipper.speech.chunks import Chunk
from clipper.speech.store import append_chunk
from workers import queues
from workers.context import Context, current
from workers.jobs.common import outcome_on
from workers.jobs.transcribe import speech_options

EDGE_GUARD = 2.0  # seconds before the end of the audio where words are not final yet
MAX_PENDING = 120.0  # speech this long without a pause is taken anyway, to keep up with the air
LOCK_SECONDS = 900


def transcribe_live(recording_id: int, final: bool = False) -> str:
    ctx = current()
    with ctx.redis.lock(f"clipper:live-transcribe:{recording_id}", timeout=LOCK_SECONDS,
                        blocking_timeout=LOCK_SECONDS):
        with ctx.sessions() as session:
            recording = get_recording(session, recording_id)
            work = ctx.workdir(f"live-{recording_id}")
            try:
                with outcome_on(session, recording, failed_status=recording.status):
                    while _transcribe_stretch(ctx, session, recording, work, final=final):
                        pass
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
    for seg in pending[1:]:
        if seg.gap_before > 0 or abs(seg.start - run[-1].end) > 0.05:
            break  # audio after a gap is read on its own, so its words keep their true times
        run.append(seg)
    start = max(recording.transcribed_until, run[0].start)
    end = run[-1].end
    if not final and len(run) == len(pending) and end - start < EDGE_GUARD * 2:
        return False  # too little new audio past the checkpoint: wait for the next segment
    joined = work / "joined.ts"
    with joined.open("wb") as out:
        for seg in run:
            with ctx.store.open(seg.storage_key) as fh:
                shutil.copyfileobj(fh, out)
    pcm = decode_audio(joined, work / "audio.pcm", timeout=ctx.settings.ffmpeg_timeout, start=start - run[0].start)
    terms = tuple(e.term for e in glossary.list_terms(session))
    backend = load_backend(speech_options(ctx.settings, terms))
    result = backend.transcribe_array(read_pcm(pcm), None, offset=start)
    at_edge = not final and len(run) == len(pending)  # more audio will follow this run
    segments = result.segments
    if at_edge:
        cut = end - EDGE_GUARD
        kept = tuple(s for s in segments if s.words and s.words[-1].end <= cut)
        if kept:
            until = kept[-1].words[-1].end
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
    append_chunk(session, recording, Chunk(index=recording.transcribed_chunks, start=round(start, 3),
                                           end=round(until, 3), segments=segments))
    for seg in run:
        if seg.end <= until + 0.01:
            seg.status = "transcribed"
    new = session.scalars(select(Segment).where(Segment.recording_id == recording.id, Segment.idx > before)
                          .order_by(Segment.idx)).all()
    fired = alerts.fire(session, recording, new)
    session.commit()  # words, checkpoint and alert hits together: a rerun after a crash starts here
    for hit in fired:
        if hit.webhook:
            queues.enqueue_alert_delivery(ctx.redis, hit.hit_id)
    return not at_edge


def _finish(ctx: Context, session: Session, recording: Recording, work: Path) -> None:
    """The stream ended: the segments joined become the original, and the recording is ready."""
    segments = session.scalars(select(LiveSegment).where(LiveSegment.recording_id == recording.id)
                               .order_by(LiveSegment.idx)).all()
    if not segments:
        recording.fail("The stream ended before anything was recorded.")
        session.commit()
        return
    joined = work / "original.ts"
    with joined.open("wb") as out:
        for seg in segments:
            with ctx.store.open(seg.storage_key) as fh:
                shutil.copyfileobj(fh, out)
    key = f"recordings/{recording.id}/original.ts"
    ctx.store.put_file(key, joined)
    recording.original_key, recording.duration = key, segments[-1].end
    recording.status, recording.progress = "ready", 1.0
    session.commit()
    queues.enqueue_proxy(ctx.redis, recording.id)
