"""Throughput with more workers (issue 14): 1, 2 and 4 ``clipper worker`` processes against one
PostgreSQL (when ``CLIPPER_TEST_DATABASE_URL`` is set; else SQLite), one Redis and moto's S3 server on
loopback. Each run ingests and transcribes 8 recordings of 2 minutes (generated speech over a small
test picture), then renders one approved clip of each (landscape, 20 s).

Reported: recordings per minute (upload to transcript), clips per minute (approval to render) and the
scaling ratio against one worker; and the CPU seconds each recording and clip cost (the workers' own
and their work horses'), which gives the ceiling: this machine's cores divided by the CPU per item,
and what a host per worker would reach.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import create_engine, select, text

from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.models import Clip, Recording, Render, Word
from clipper.recordings import upload_key
from storage import open_store
from workers import queues
from workers.context import store_config
from workers.redis import EmbeddedRedis, connect

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "scale"
WORKER_COUNTS = (1, 2, 4)
CLIP_SECONDS = 20.0


def run(quick: bool = False) -> str:
    from clipper.settings import Settings
    from tests.media import speech_video
    from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, new_bucket
    from tests.speech_data import BRIEFING

    CACHE.mkdir(parents=True, exist_ok=True)
    items = 4 if quick else 8
    minutes = 1 if quick else 2
    source = CACHE / f"speech-{minutes}min.mp4"
    if not source.exists():
        repeats = max(1, round(minutes * 60 / 45))  # the briefing reads in about 45 s
        tmp = speech_video(CACHE / "speech.tmp.mp4", BRIEFING * repeats, size="320x240")
        tmp.rename(source)
    s3 = S3Server().start()
    redis_embedded = None
    redis_url = os.environ.get("CLIPPER_TEST_REDIS_URL", "")
    if not redis_url:
        redis_embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="bench-redis-"))).start()
        redis_url = redis_embedded.url
    rows = []
    try:
        for count in WORKER_COUNTS:
            with tempfile.TemporaryDirectory(prefix=f"bench-scale-{count}-") as tmp:
                database, drop = _database(Path(tmp))
                try:
                    settings = Settings.from_env({}, data_dir=Path(tmp) / "bench", database_url=database,
                                                 secret_key="bench", storage_url=f"s3://{new_bucket(s3)}/clipper",
                                                 s3_endpoint_url=s3.endpoint, s3_region=REGION,
                                                 s3_access_key_id=ACCESS_KEY, s3_secret_access_key=SECRET_KEY)
                    rows.append(_one_run(settings, redis_url, count, items, source, Path(tmp)))
                finally:
                    drop()
    finally:
        s3.kill()
        if redis_embedded is not None:
            redis_embedded.stop()
    base = rows[0]
    lines = [
        "## scale",
        "",
        f"{items} recordings of {minutes} min (generated speech, 320×240) uploaded, ingested and transcribed, then one "
        f"{CLIP_SECONDS:.0f} s landscape clip of each rendered; workers as separate `clipper worker` processes with "
        f"their own data dirs, {'PostgreSQL' if os.environ.get('CLIPPER_TEST_DATABASE_URL') else 'SQLite'}, Redis "
        "and moto's S3 server on loopback; one run per worker count.",
        "",
        "| workers | recordings/min | × vs 1 | clips/min | × vs 1 | CPU s per recording | CPU s per clip |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['rec_per_min']:.2f} | {r['rec_per_min'] / base['rec_per_min']:.2f} | "
                     f"{r['clips_per_min']:.2f} | {r['clips_per_min'] / base['clips_per_min']:.2f} | "
                     f"{r['cpu_per_rec']:.1f} | {r['cpu_per_clip']:.1f} |")
    cores = os.cpu_count() or 1
    cpu_rec = sorted(r["cpu_per_rec"] for r in rows)[len(rows) // 2]
    cpu_clip = sorted(r["cpu_per_clip"] for r in rows)[len(rows) // 2]
    one_host = 60 * cores / cpu_rec
    lines += [
        "",
        f"Ceiling here: {cores} cores ÷ {cpu_rec:.1f} CPU s per recording = **{one_host:.1f} recordings/min** "
        f"and {60 * cores / cpu_clip:.1f} clips/min, whatever the number of workers; past {cores} workers "
        "they only share the same cores. With a host per worker (each with its cores), throughput grows with "
        f"the hosts: a 2-core host per worker adds about {120 / cpu_rec:.1f} recordings/min each, until the "
        "shared PostgreSQL, Redis or S3 become the limit (they did little work here: the jobs are CPU-bound).",
    ]
    return "\n".join(lines) + "\n"


def _database(tmp: Path):  # type: ignore[no-untyped-def]
    pg = os.environ.get("CLIPPER_TEST_DATABASE_URL", "")
    if not pg:
        url = f"sqlite:///{tmp / 'db' / 'clipper.db'}"
        upgrade(url)
        return url, lambda: None
    schema = "bench_" + os.urandom(5).hex()
    engine = create_engine(pg.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    return url, drop


def _one_run(settings, redis_url: str, count: int, items: int, source: Path, tmp: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    conn = connect(redis_url)
    conn.flushdb()
    sessions = make_sessionmaker(make_engine(settings.database_url))
    store = open_store(store_config(settings))
    env = {**os.environ, "CLIPPER_DATABASE_URL": settings.database_url, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_STORAGE_URL": settings.storage_url, "CLIPPER_S3_ENDPOINT_URL": settings.s3_endpoint_url,
           "CLIPPER_S3_REGION": settings.s3_region, "CLIPPER_S3_ACCESS_KEY_ID": settings.s3_access_key_id,
           "CLIPPER_S3_SECRET_ACCESS_KEY": settings.s3_secret_access_key, "CLIPPER_SECRET_KEY": "bench",
           "CLIPPER_WHISPER_THREADS": "1"}
    workers = []
    for i in range(count):
        data = tmp / f"worker{i}"
        workers.append(subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], cwd=ROOT,
                                        env={**env, "CLIPPER_DATA_DIR": str(data)}, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        time.sleep(3)  # the workers are up and waiting; the clock starts at the uploads
        cpu0 = _cpu(workers)
        started = time.monotonic()
        ids = []
        with sessions() as session:
            for i in range(items):
                rec = Recording(title=f"Bench {i}", status="queued")
                session.add(rec)
                session.flush()
                store.put_file(upload_key(rec.id), source)
                ids.append(rec.id)
            session.commit()
        for rid in ids:
            queues.enqueue_ingest(conn, rid)
        _wait(sessions, lambda s: all(s.get(Recording, rid).status in ("ready", "failed") for rid in ids), 3600)
        rec_seconds = time.monotonic() - started
        cpu1 = _cpu(workers)
        _wait_idle(conn)  # proxies run beside transcription; let them finish before timing renders
        cpu1 = _cpu(workers)
        clip_ids = _approved_clips(sessions, ids)
        started = time.monotonic()
        for cid in clip_ids:
            queues.enqueue_render(conn, cid)
        _wait(sessions, lambda s: all(r.status in ("done", "failed") for cid in clip_ids
                                      for r in s.scalars(select(Render).where(Render.clip_id == cid))) and
              all(s.scalars(select(Render).where(Render.clip_id == cid)).first() for cid in clip_ids), 3600)
        clip_seconds = time.monotonic() - started
        cpu2 = _cpu(workers)
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(120)
    return {"workers": count, "rec_per_min": 60 * items / rec_seconds, "clips_per_min": 60 * items / clip_seconds,
            "cpu_per_rec": (cpu1 - cpu0) / items, "cpu_per_clip": (cpu2 - cpu1) / items}


def _approved_clips(sessions, recording_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with sessions() as session:
        for rid in recording_ids:
            words = session.scalars(select(Word).where(Word.recording_id == rid).order_by(Word.start)).all()
            start = words[0].start if words else 0.0
            chosen = [{"start": w.start, "end": w.end, "text": w.display} for w in words
                      if start <= w.start and w.end <= start + CLIP_SECONDS]
            clip = Clip(recording_id=rid, start=start, end=start + CLIP_SECONDS, title="Bench", status="approved",
                        caption_words=chosen, presets=["landscape"])
            session.add(clip)
            session.flush()
            ids.append(clip.id)
        session.commit()
    return ids


def _cpu(workers: list[subprocess.Popen]) -> float:  # type: ignore[type-arg]
    """CPU seconds of the workers and their finished work horses (RQ waits for each, so they count as children)."""
    total = 0.0
    for w in workers:
        try:
            t = psutil.Process(w.pid).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in psutil.Process(w.pid).children(recursive=True):
                ct = child.cpu_times()
                total += ct.user + ct.system
        except psutil.NoSuchProcess:
            pass
    return total


def _wait(sessions, done, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            if done(session):
                return
        time.sleep(0.5)
    raise TimeoutError("the workers did not finish in time")


def _wait_idle(conn) -> None:  # type: ignore[no-untyped-def]
    from rq import Queue

    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        qs = [Queue(n, connection=conn) for n in queues.QUEUES]
        if not any(q.count or q.started_job_registry.count for q in qs):
            return
        time.sleep(0.5)
