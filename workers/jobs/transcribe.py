"""Transcribe: decode the original's audio with our ffmpeg, run Whisper a chunk at a time, store each chunk.

A rerun (the worker died, RQ retried, the janitor re-queued) resumes at the recording's checkpoint;
a recording that is already ready is transcribed again from the start. Setting ``cancel_requested``
stops the job between segments with status ``cancelled``, keeping what was done.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper import glossary
from clipper.models import Recording
from clipper.recordings import get_recording
from clipper.settings import Settings
from clipper.speech import SpeechOptions, decode_audio, load_backend
from clipper.speech.chunks import TranscriptionCancelled, transcribe_chunks
from clipper.speech.store import append_chunk, reset_transcript, word_fixes
from clipper.speech.turns import with_speakers
from workers.context import current
from workers.jobs.common import outcome_on, progress_reporter

log = logging.getLogger(__name__)
LOW, HIGH = 0.05, 0.99  # progress: decoding the audio comes before, and the last commit after


def speech_options(settings: Settings, terms: tuple[str, ...] = ()) -> SpeechOptions:
    return SpeechOptions(backend=settings.whisper_backend, model=settings.whisper_model,
                         device=settings.whisper_device, compute_type=settings.whisper_compute_type,
                         language=settings.whisper_language, beam_size=settings.whisper_beam_size,
                         threads=settings.whisper_threads, vad=settings.whisper_vad, glossary=terms,
                         cache_dir=str(settings.data_dir / "models"),
                         max_word_seconds=settings.whisper_max_word_seconds)


def transcribe_recording(recording_id: int, discard_word_fixes: bool = False) -> str:
    ctx = current()
    with ctx.sessions() as session:
        recording = get_recording(session, recording_id)
        if recording.status == "ready":
            fixes = word_fixes(session, recording_id)
            if fixes and not discard_word_fixes:  # fixed after the web app checked: keep them, do nothing
                log.warning("recording %s: not transcribed again over %d word fixes", recording_id, fixes)
                return "kept word fixes"
            reset_transcript(session, recording)
            recording.progress = 0.0
        recording.status, recording.error, recording.cancel_requested = "transcribing", "", False
        session.commit()
        work = ctx.workdir(f"transcribe-{recording_id}")
        try:
            with outcome_on(session, recording):
                start = recording.transcribed_until
                original = ctx.store.get_file(recording.original_key, work / "original")
                pcm = decode_audio(original, work / "audio.pcm", timeout=ctx.settings.ffmpeg_timeout, start=start)
                stereo = decode_audio(original, work / "stereo.pcm", timeout=ctx.settings.ffmpeg_timeout, start=start,
                                      channels=2) if ctx.settings.whisper_speakers else None
                original.unlink()
                terms = tuple(e.term for e in glossary.list_terms(session))
                backend = load_backend(speech_options(ctx.settings, terms))
                report = _cancellable(session, recording_id, progress_reporter(session, recording, low=LOW, high=HIGH),
                                      floor=(recording.progress - LOW) / (HIGH - LOW) if start else 0.0)
                try:
                    for chunk in transcribe_chunks(backend, str(pcm), offset=start, first_index=recording.transcribed_chunks,
                                                   chunk_seconds=ctx.settings.whisper_chunk_seconds,
                                                   total=recording.duration or None, on_progress=report):
                        names = with_speakers(session, recording_id, pcm, start, chunk, stereo) \
                            if ctx.settings.whisper_speakers else ({}, chunk)
                        append_chunk(session, recording, names[1], names[0])
                        session.commit()  # the checkpoint: a rerun starts after this chunk
                except TranscriptionCancelled as exc:
                    session.rollback()
                    recording.status, recording.error = "cancelled", exc.message
                    session.commit()
                    return recording.status
                recording.language = ctx.settings.whisper_language
                recording.status, recording.progress = "ready", 1.0
                session.commit()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return recording.status


def _cancellable(session: Session, recording_id: int, report: Callable[[float], None], *, floor: float = 0.0,
                 every: float = 2.0) -> Callable[[float], None]:
    """``report``, which also stops the job (between segments) once someone has asked to cancel.

    A rerun re-reads audio after its checkpoint that the stopped run had already reported progress on:
    progress stays at ``floor`` (where the stopped run left it) until the rerun gets past it.
    """
    last = [0.0]

    def check(fraction: float) -> None:
        report(max(floor, fraction))
        if time.monotonic() - last[0] < every:
            return
        last[0] = time.monotonic()
        session.commit()  # end the read snapshot so we see a cancel committed by the web app
        if session.scalar(select(Recording.cancel_requested).where(Recording.id == recording_id)):
            raise TranscriptionCancelled("Transcription was cancelled. The words recognised so far are kept; "
                                         "queue it again to carry on from there.")

    return check
