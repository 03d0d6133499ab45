"""A deploy stops a worker mid-render (SIGTERM, as Docker, systemd or Kubernetes send it): RQ's warm
shutdown lets the running render finish and store each variant once before the worker exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import alive, descendants, wait_for
from tests.workers.test_render_job import add_clip, barcode, renders  # noqa: F401  (fixture)
from workers import queues

pytestmark = pytest.mark.slow


def test_sigterm_lets_the_running_render_finish(ctx, redis_url, barcode: Path) -> None:  # noqa: F811
    clip_id = add_clip(ctx, barcode, start=0.2, end=4.8, presets=("landscape", "square", "vertical"),
                       status="approved")
    s = ctx.settings
    env = {**os.environ, "CLIPPER_DATA_DIR": str(s.data_dir), "CLIPPER_DATABASE_URL": s.database_url,
           "CLIPPER_SECRET_KEY": s.secret_key, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_STORAGE_URL": s.storage_url, "CLIPPER_PUBLIC_BASE_URL": s.public_base_url}
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "render"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        queues.enqueue_render(ctx.redis, clip_id)
        wait_for(lambda: any(r.status == "rendering" for r in renders(ctx, clip_id).values()), 120, "the render to start")
        horses = descendants(worker.pid)
        assert horses, "the render runs in a work horse"
        worker.send_signal(signal.SIGTERM)  # to the worker only, as a container's PID 1 gets it
        assert worker.wait(300) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert not any(alive(pid) for pid in horses)
    rows = renders(ctx, clip_id)
    assert {p: r.status for p, r in rows.items()} == {"landscape": "done", "square": "done", "vertical": "done"}
    videos = sorted(k for k in ctx.store.keys(f"clips/{clip_id}/") if k.endswith(".mp4") and "share" not in k)
    assert videos == [f"clips/{clip_id}/{p}.mp4" for p in ("landscape", "square", "vertical")]  # (and the gallery's share copy)
    for row in rows.values():
        assert ctx.store.stat(row.storage_key).size == row.size
