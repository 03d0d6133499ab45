"""Work the database says is waiting, but Redis lost (flushed, or restarted without AOF), is queued again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rq.job import Job

from clipper.models import Clip, Recording, utcnow
from tests.test_cli import wait_for
from tests.workers.test_render_job import add_clip, barcode, renders  # noqa: F401  (fixture)
from workers import queues, reconciler
from workers.redis import connect


def _age(ctx, model, record_id: int, minutes: float = 5) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:  # as if the record had waited this long (no onupdate: set it by SQL)
        session.query(model).filter(model.id == record_id).update(
            {model.updated_at: utcnow() - timedelta(minutes=minutes)}, synchronize_session=False)
        session.commit()


def _recording(ctx, status: str) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        rec = Recording(title="News", status=status)
        session.add(rec)
        session.commit()
        return rec.id


def test_lost_recordings_and_renders_are_queued_again(ctx, redis_url) -> None:  # type: ignore[no-untyped-def]
    conn = connect(redis_url)
    waiting = _recording(ctx, "queued")
    halfway = _recording(ctx, "transcribing")
    fresh = _recording(ctx, "queued")  # the web app may be enqueueing it right now
    done = _recording(ctx, "ready")
    failed_for_good = _recording(ctx, "transcribing")
    for rid in (waiting, halfway, done, failed_for_good):
        _age(ctx, Recording, rid)
    job = queues.enqueue_transcribe(conn, failed_for_good)
    job.set_status("failed")  # RQ still has it: the System page's to retry, not ours to loop on
    with ctx.sessions() as session:
        clip = Clip(recording_id=done, start=0, end=2, status="approved")
        draft = Clip(recording_id=done, start=0, end=2, status="draft")
        session.add_all([clip, draft])
        session.commit()
        approved, drafted = clip.id, draft.id
    _age(ctx, Clip, approved)
    _age(ctx, Clip, drafted)

    with ctx.sessions() as session:
        found = reconciler.reconcile(session, conn)
    assert found == reconciler.Requeued(recordings=(waiting, halfway), clips=(approved,))
    assert fresh not in found.recordings
    assert Job.fetch(f"ingest-recording-{waiting}", connection=conn).get_status() == "queued"
    assert Job.fetch(f"transcribe-recording-{halfway}", connection=conn).get_status() == "queued"
    assert Job.fetch(f"render-clip-{approved}", connection=conn).get_status() == "queued"
    with ctx.sessions() as session:  # a second pass finds them waiting and queues nothing twice
        assert reconciler.reconcile(session, conn) == reconciler.Requeued((), ())


@pytest.mark.slow
def test_a_worker_renders_an_approval_redis_forgot(ctx, redis_url, barcode: Path) -> None:  # noqa: F811
    clip_id = add_clip(ctx, barcode, status="approved")
    queues.enqueue_render(ctx.redis, clip_id)
    connect(redis_url).flushdb()  # Redis restarted without its data
    _age(ctx, Clip, clip_id)
    s = ctx.settings
    env = {**os.environ, "CLIPPER_DATA_DIR": str(s.data_dir), "CLIPPER_DATABASE_URL": s.database_url,
           "CLIPPER_SECRET_KEY": s.secret_key, "CLIPPER_REDIS_URL": redis_url, "CLIPPER_STORAGE_URL": s.storage_url,
           "CLIPPER_PUBLIC_BASE_URL": s.public_base_url, "CLIPPER_WORKER_RECOVERY_SECONDS": "2"}
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "render"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: renders(ctx, clip_id).get("landscape") and renders(ctx, clip_id)["landscape"].status
                 in ("done", "failed"), 180, "the forgotten render")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "done", row.error
    assert ctx.store.stat(row.storage_key).size == row.size
