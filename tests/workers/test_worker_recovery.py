"""A worker process dies mid-transcription (SIGKILL to it and its work horse, as an OOM kill or a power cut
would): another worker notices the missing heartbeat, RQ retries the job, and it resumes from the last
stored chunk. Real processes, real Redis, the real model; nothing is re-run by the test itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from rq.job import Job

from clipper.settings import Settings
from clipper.speech.accuracy import word_error_rate
from tests.clipper.test_transcribe_long import ROOT, _recording, _state, _wait, _words, briefing  # noqa: F401
from tests.media import have
from tests.test_cli import alive, descendants
from workers.queues import enqueue_transcribe
from workers.redis import connect

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture
def settings(tmp_path, sqlite_url: str) -> Settings:  # type: ignore[no-untyped-def]
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", whisper_chunk_seconds=60.0, whisper_threads=2)


def _worker(settings: Settings, redis_url: str) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_WHISPER_CHUNK_SECONDS": "60", "CLIPPER_WHISPER_THREADS": "2",
           "CLIPPER_WORKER_RECOVERY_SECONDS": "5"}
    return subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "transcribe"], env=env, cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_job_whose_worker_died_is_retried_by_another_and_resumes(ctx, settings, redis_url, briefing) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wav, text, duration = briefing
    rid = _recording(ctx, wav, duration)
    first = _worker(settings, redis_url)
    second = None
    try:
        job = enqueue_transcribe(connect(redis_url), rid)
        _wait(lambda: _state(ctx, rid).transcribed_chunks >= 1 or first.poll() is not None, 240, "the first chunk")
        doomed = {first.pid, *descendants(first.pid)}  # the worker and its work horse (its own process group)
        for pid in doomed:
            os.kill(pid, signal.SIGKILL)  # without warning: no handler, no cleanup
        first.wait(10)
        _wait(lambda: not any(alive(pid) for pid in doomed), 10, "the killed processes to be gone")
        died = _state(ctx, rid)
        before = _words(ctx, rid)
        assert died.status == "transcribing" and 0 < died.transcribed_until < duration - 10

        second = _worker(settings, redis_url)
        _wait(lambda: _state(ctx, rid).status in ("ready", "failed"), 300, "another worker to finish the job")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
    done = _state(ctx, rid)
    assert done.status == "ready", done.error
    after = _words(ctx, rid)
    assert after[:len(before)] == before and after[len(before)][2] >= died.transcribed_until - 0.05
    assert word_error_rate(text, " ".join(w[3] for w in after)) < 0.15
    assert Job.fetch(job.id, connection=connect(redis_url)).get_status() == "finished"
