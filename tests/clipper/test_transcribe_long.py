"""Long recordings: the transcribe job works a chunk at a time, so a worker that dies halfway resumes from
its last stored chunk, a volunteer can stop it (keeping what is done), and silence gets no invented words.

Real parts throughout: espeak-ng speech, the hardened ffmpeg decode, the bundled tiny.en model, SQLite,
and a real process killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from clipper.models import Recording, Word
from clipper.settings import Settings
from clipper.speech.accuracy import word_error_rate
from tests.conftest import make_user
from tests.media import have
from tests.speech_data import BRIEFING, long_speech
from workers.jobs.transcribe import transcribe_recording

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def briefing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, float]:
    """About two minutes of speech: the briefing read twice."""
    wav, text = long_speech(tmp_path_factory.mktemp("long") / "briefing.wav", BRIEFING, repeat=2)
    return wav, text, wav.stat().st_size / 32000


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", whisper_chunk_seconds=60.0, whisper_threads=2)


def _recording(ctx, wav: Path, duration: float) -> int:  # type: ignore[no-untyped-def]
    key = "recordings/1/original.wav"
    ctx.store.put_file(key, wav, content_type="audio/wav")
    with ctx.sessions() as db:
        rec = Recording(title="Briefing", status="queued", duration=duration, original_key=key)
        db.add(rec)
        db.commit()
        return rec.id


def _state(ctx, rid: int) -> Recording:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        rec = db.get(Recording, rid)
        db.expunge(rec)
        return rec


def _words(ctx, rid: int) -> list[tuple[int, int, float, str]]:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        return [tuple(r) for r in db.execute(select(Word.id, Word.idx, Word.start, Word.text)
                                              .where(Word.recording_id == rid).order_by(Word.idx))]


def _wait(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start_job(settings: Settings, rid: int) -> subprocess.Popen:  # type: ignore[type-arg]
    """The transcribe job in its own process, as a worker runs it."""
    env = {**os.environ, "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_WHISPER_CHUNK_SECONDS": "60",
           "CLIPPER_WHISPER_THREADS": "2"}
    return subprocess.Popen([sys.executable, "-c", "from workers.jobs.transcribe import transcribe_recording; "
                             f"transcribe_recording({rid})"], env=env, cwd=ROOT)


def test_a_killed_transcription_resumes_from_its_last_chunk(ctx, settings: Settings, briefing) -> None:  # type: ignore[no-untyped-def]
    wav, text, duration = briefing
    rid = _recording(ctx, wav, duration)
    worker = _start_job(settings, rid)
    try:
        _wait(lambda: _state(ctx, rid).transcribed_chunks >= 1 or worker.poll() is not None, 240, "the first chunk")
        worker.send_signal(signal.SIGKILL)  # the worker dies mid-recording: no cleanup runs
        worker.wait(10)
    finally:
        worker.kill()
    died = _state(ctx, rid)
    before = _words(ctx, rid)
    assert died.status == "transcribing", "the worker finished before it could be killed: use longer speech"
    assert 0 < died.transcribed_until < duration - 10 and before

    assert transcribe_recording(rid) == "ready"  # what RQ's retry (or "transcribe again") runs

    done = _state(ctx, rid)
    after = _words(ctx, rid)
    assert after[:len(before)] == before  # the words from before the crash are the same rows: not redone
    assert done.transcribed_chunks > died.transcribed_chunks and done.progress == 1.0
    starts = [w[2] for w in after]
    assert starts == sorted(starts)
    resumed = after[len(before):]
    assert resumed and resumed[0][2] >= died.transcribed_until - 0.05  # nothing before the checkpoint twice
    assert [w[1] for w in after] == list(range(len(after)))
    assert all(0 <= s <= duration for s in starts)
    hypothesis = " ".join(w[3] for w in after)
    assert word_error_rate(text, hypothesis) < 0.15, hypothesis


def test_cancel_stops_the_job_keeps_its_words_and_carries_on(client, auth, ctx, settings, briefing) -> None:  # type: ignore[no-untyped-def]
    wav, text, duration = briefing
    rid = _recording(ctx, wav, duration)
    progress: list[float] = []  # what the recording page shows, sampled through both runs

    def watch(worker: subprocess.Popen, done):  # type: ignore[no-untyped-def,type-arg]
        def check() -> bool:
            state = _state(ctx, rid)
            progress.append(state.progress)
            return done(state) or worker.poll() is not None
        return check

    lead = {"Authorization": "Bearer " + make_user(ctx, "lead@example.org", "social_lead")[1]}  # leads stop jobs
    worker = _start_job(settings, rid)
    try:
        _wait(watch(worker, lambda s: s.transcribed_chunks >= 1), 240, "the first chunk")
        asked = client.post(f"/api/v1/recordings/{rid}/transcription/cancel", headers=lead)  # "stop" in the UI
        assert asked.status_code == 202, asked.json
        _wait(watch(worker, lambda s: False), 60, "the job to stop by itself, between segments")
        assert worker.wait(60) == 0  # torch (the voice encoder) takes seconds to tear down on a busy machine
    finally:
        worker.kill()
    stopped = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert stopped["status"] == "cancelled" and "cancelled" in stopped["error"]
    kept = _words(ctx, rid)
    assert kept and _state(ctx, rid).transcribed_until < duration - 10
    again = client.post(f"/api/v1/recordings/{rid}/transcription/cancel", headers=lead)
    assert again.status_code == 409 and "not being transcribed" in again.json["error"]

    worker = _start_job(settings, rid)  # queued again: carries on from the last chunk
    try:
        _wait(watch(worker, lambda s: s.status != "cancelled" and s.status != "transcribing"), 240, "the rerun")
        assert worker.wait(60) == 0  # torch (the voice encoder) takes seconds to tear down on a busy machine
    finally:
        worker.kill()
    assert _state(ctx, rid).status == "ready"
    after = _words(ctx, rid)
    assert after[:len(kept)] == kept
    assert word_error_rate(text, " ".join(w[3] for w in after)) < 0.15
    assert progress == sorted(progress), progress  # never goes back, not even when the rerun starts
    assert progress[-1] == 1.0 and progress[0] < 0.5, progress


def test_silence_and_noise_get_no_invented_words(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two sentences 40 s apart, with quiet noise between: every word lies inside the speech.

    Measured: tiny.en with faster-whisper's no-speech and log-prob thresholds invents nothing in this gap
    even with VAD off (nor in loud pink or white noise, beeps or synthetic music), so this guards where
    words land rather than telling VAD on from off."""
    speech, _ = long_speech(tmp_path / "a.wav", BRIEFING[1:2])
    speech_seconds = speech.stat().st_size / 32000
    source = tmp_path / "gap.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech), "-f", "lavfi", "-i",
                    "anoisesrc=color=pink:amplitude=0.003:sample_rate=16000:duration=40", "-i", str(speech),
                    "-filter_complex", "[0:a][1:a][2:a]concat=n=3:v=0:a=1[out]", "-map", "[out]",
                    "-ar", "16000", "-ac", "1", str(source)], check=True)
    duration = source.stat().st_size / 32000
    rid = _recording(ctx, source, duration)
    assert transcribe_recording(rid) == "ready"
    words = _words(ctx, rid)
    second = speech_seconds + 40
    assert words and all(s <= speech_seconds + 0.5 or s >= second - 0.5 for _, _, s, _ in words), words
    assert any(s >= second - 0.5 for _, _, s, _ in words)  # the speech after the gap is found
