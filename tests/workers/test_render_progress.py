"""``GET /api/v1/jobs/<id>`` reports a running render's progress (it said ``null`` until the render ended)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clipper.models import Clip, Recording
from tests.media import make_video

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_a_running_render_reports_its_progress(client, auth, ctx, settings, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = make_video(tmp_path / "long.mp4", seconds=12, size="640x360")
    with ctx.sessions() as db:
        rec = Recording(title="News", status="ready", duration=12.0, original_key="recordings/1/original.mp4")
        db.add(rec)
        db.flush()
        ctx.store.put_file(rec.original_key, source)
        clip = Clip(recording_id=rec.id, start=0.5, end=11.5, title="Long", caption_words=[],
                    presets=["landscape", "vertical"])
        db.add(clip)
        db.commit()
        clip_id = clip.id
    queued = client.post(f"/api/v1/clips/{clip_id}/render", headers=auth)
    assert queued.status_code == 202
    assert queued.json["job"]["status"] == "queued" and queued.json["job"]["progress"] is None

    env = {**os.environ, "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_STORAGE_URL": settings.storage_url, "CLIPPER_PUBLIC_BASE_URL": settings.public_base_url}
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "render", "--burst"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: list[tuple[str, float | None]] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = client.get(f"/api/v1/jobs/render-clip-{clip_id}", headers=auth).json
            seen.append((state["status"], state["progress"]))
            if state["status"] in ("finished", "failed"):
                break
            time.sleep(0.2)
        worker.wait(60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    running = [p for status, p in seen if status == "started"]
    assert running, seen
    assert all(p is not None for p in running), seen  # never null while it runs
    assert any(0.0 < p < 1.0 for p in running), seen  # part-way through
    assert running == sorted(running), seen  # and it only goes forward
    assert seen[-1] == ("finished", 1.0), seen[-3:]
