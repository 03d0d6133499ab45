"""A transcribe worker loads the speech model once, not once per job: two short recordings queued for one
real worker process (real Redis, the real model) are both transcribed with a single model load, and the
worker process is the one that ran them (no work horse per job)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clipper.settings import Settings
from tests.clipper.test_transcribe_long import ROOT, _recording, _state
from tests.media import have, speech_wav
from workers.queues import enqueue_transcribe
from workers.redis import connect

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture
def settings(tmp_path, sqlite_url: str) -> Settings:  # type: ignore[no-untyped-def]
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", whisper_threads=2)


def test_two_jobs_one_model_load(ctx, settings, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for n, text in enumerate(("Good evening and welcome.", "The minister said no.")):
        wav = speech_wav(text, tmp_path / f"short{n}.wav")
        ids.append(_recording(ctx, wav, wav.stat().st_size / 44100))
    conn = connect(redis_url)
    for rid in ids:
        enqueue_transcribe(conn, rid)
    env = {**os.environ, "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_REDIS_URL": redis_url, "CLIPPER_WHISPER_THREADS": "2"}
    done = subprocess.run([sys.executable, "-m", "web.cli", "worker", "transcribe", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert [_state(ctx, rid).status for rid in ids] == ["ready", "ready"], log[-3000:]
    assert log.count("loading the faster-whisper model") == 1, log[-3000:]
    assert log.count("loading the voice encoder") == 1, log[-3000:]
