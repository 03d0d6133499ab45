"""Live capture (issue 13): how far behind the air the transcript, search and alerts run.

A generated broadcast (distinct sentences read by espeak-ng over a test picture) is paced in real time
by ffmpeg (``-re``) into a live HLS playlist served on loopback, in 2 s pieces. ``clipper recorders``
and one ``clipper worker transcribe publish`` run as their own processes, as ``clipper up`` runs them,
on SQLite (or PostgreSQL) and a real Redis; segments are 30 s, as by default.

- **On air → searchable**: for each sentence, from the moment its first word was on air (the stream's
  start plus its offset in the audio) to the moment a phrase search for it first finds it.
- **Match → alert delivered**: an alert with a webhook on one phrase per minute of the broadcast; from
  the hit's storing to the webhook receiving it.
- **Alert → rough vertical preview**: from the hit's storing to its draft clip's 540x960 preview being
  in storage (downloadable), cut from the stored segments while the broadcast goes on.
- **Approval → final vertical render of a 20 s clip**: a clip of the first 20 s of speech is marked,
  submitted and approved (two people) as soon as it is transcribed, on air; from the approval to its
  1080x1920 captioned render being done.
- **Keeping up**: the transcription backlog (recorded seconds not yet transcribed) sampled every second,
  and the worker's CPU share and peak memory.

A second worker takes ``render publish`` (``clipper up`` starts two workers on every queue).
"""

from __future__ import annotations

import http.server
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from datetime import UTC
from pathlib import Path

import psutil
from sqlalchemy import select

from clipper import clips as clip_service
from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.models import Alert, AlertHit, LiveSource, Recording, Render, User
from clipper.search import search
from workers import queues
from workers.redis import EmbeddedRedis, connect

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "live"
PLACES = ("Leeds", "Bristol", "Cardiff", "Glasgow", "Norwich", "Exeter", "Belfast", "Swansea", "Dundee", "Bangor",
          "Carlisle", "Durham", "Lincoln", "Bath", "Oxford", "Chester", "Derby", "Hull", "Wells", "York")
THINGS = ("hospital", "library", "railway", "school", "bridge", "harbour", "college", "market", "museum", "stadium")


def run(quick: bool = False, minutes: float = 0.0) -> str:
    """The live figures; ``minutes``: a soak of that long a broadcast (``python -m bench.live MINUTES``),
    with the backlog, CPU share and memory per five minutes."""
    from tests.live.hls_server import LiveHLS

    CACHE.mkdir(parents=True, exist_ok=True)
    count = int(minutes * 60 / 3.6) if minutes else 12 if quick else 40  # a sentence and its pause: ~3.6 s
    sentences = [f"The new {THINGS[i % len(THINGS)]} in {PLACES[i % len(PLACES)]} will open next year."
                 for i in range(count)]
    audio, offsets = _broadcast(sentences)
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    redis_embedded = None
    redis_url = os.environ.get("CLIPPER_TEST_REDIS_URL", "")
    if not redis_url:
        redis_embedded = EmbeddedRedis(tmp / "redis").start()
        redis_url = redis_embedded.url
    connect(redis_url).flushdb()
    database = f"sqlite:///{tmp / 'clipper.db'}"
    upgrade(database)
    sessions = make_sessionmaker(make_engine(database))
    received: list[tuple[float, int]] = []
    hook = _webhook(received)
    stream = LiveHLS(tmp / "hls", audio)
    env = {**os.environ, "CLIPPER_DATA_DIR": str(tmp / "data"), "CLIPPER_DATABASE_URL": database,
           "CLIPPER_REDIS_URL": redis_url, "CLIPPER_SECRET_KEY": "bench", "CLIPPER_WHISPER_THREADS": "2",
           "CLIPPER_URL_ALLOWED_HOSTS": "127.0.0.1:*"}
    procs: list[subprocess.Popen] = []  # type: ignore[type-arg]
    found: dict[int, float] = {}
    backlog: list[float] = []
    cpu: list[float] = []
    peak_rss = 0
    windows: list[tuple[float, float, float, float]] = []  # per 5 min: end (s on air), backlog max, CPU %, MB
    previews: dict[int, float] = {}  # hit id -> seconds from the hit's storing to its preview in storage
    final: dict[str, float] = {}  # "clip" (its id), "approved" (time), "render" (seconds to done)
    try:
        with sessions() as session:
            owner = User(email="bench@example.org", role="social_lead")
            marker = User(email="volunteer@example.org", role="volunteer")
            session.add_all([owner, marker])
            session.flush()
            owner_id, marker_id = owner.id, marker.id
            for i in range(0, count, max(1, count // 5)):
                session.add(Alert(user_id=owner.id, name=f"alert {i}", query=f'"{THINGS[i % 10]} in {PLACES[i % 20]}"',
                                  webhook_url=f"http://127.0.0.1:{hook.server_address[1]}/hook"))
            session.commit()
        procs.append(subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "transcribe", "publish"], cwd=ROOT,
                                      env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "render", "publish"], cwd=ROOT,
                                      env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        time.sleep(5)  # the worker is up (and its model loaded by the first job anyway)
        stream.start()
        on_air = time.time()  # -re: the first sample leaves now
        with sessions() as session:
            session.add(LiveSource(name="Bench", url=stream.url, segment_seconds=30.0, active=True))
            session.commit()
        procs.append(subprocess.Popen([sys.executable, "-m", "web.cli", "recorders"], cwd=ROOT, env=env,
                                      start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        worker = psutil.Process(procs[0].pid)
        cpu_start, wall_start = _cpu(worker), time.monotonic()
        window_cpu, window_start, window_backlog = cpu_start, wall_start, 0.0
        deadline = time.time() + offsets[-1] + 240
        while time.time() < deadline:
            with sessions() as session:
                source = session.scalars(select(LiveSource)).first()
                rec = session.get(Recording, source.recording_id) if source and source.recording_id else None
                for i in range(count):
                    if i not in found and time.time() - 120 <= on_air + offsets[i] <= time.time():
                        phrase = f'"{THINGS[i % 10]} in {PLACES[i % 20]}"'
                        hits = search(session, phrase).hits if rec else ()
                        if any(h.recording_id == rec.id and abs(h.moment - offsets[i]) < 20 for h in hits):
                            found[i] = time.time() - (on_air + offsets[i])
                if rec is not None and rec.status == "live":
                    backlog.append(max(0.0, rec.duration - rec.transcribed_until))
                    window_backlog = max(window_backlog, backlog[-1])
                _previews(session, previews)
                if rec is not None and "approved" not in final and rec.transcribed_until >= offsets[0] + 21:
                    final["clip"] = _approve_twenty_seconds(session, rec, offsets[0], marker_id, owner_id)
                    queues.enqueue_render(connect(redis_url), int(final["clip"]))
                    final["approved"] = time.time()
                if "approved" in final and "render" not in final and _rendered(session, int(final["clip"])):
                    final["render"] = time.time() - final["approved"]
                hit_count = len(session.scalars(select(AlertHit.id)).all())
                done = rec is not None and rec.status == "ready" and "render" in final and len(previews) >= hit_count
            tree = [worker, *worker.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree if p.is_running())
            peak_rss = max(peak_rss, rss)
            if time.monotonic() - window_start >= 300:
                now_cpu = _cpu(worker)
                windows.append((time.time() - on_air, window_backlog,
                                100 * (now_cpu - window_cpu) / (time.monotonic() - window_start), rss / 1e6))
                window_cpu, window_start, window_backlog = now_cpu, time.monotonic(), 0.0
            if done or (len(found) == count and "render" in final and len(previews) >= hit_count):
                break
            time.sleep(0.5)
        cpu.append(100 * (_cpu(worker) - cpu_start) / (time.monotonic() - wall_start))
        with sessions() as session:
            hits = {h.id: h for h in session.scalars(select(AlertHit))}
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        stream.stop()
        hook.shutdown()
        if redis_embedded is not None:
            redis_embedded.stop()
    delays = sorted(found.values())
    preview_delays = sorted(previews.values())
    alert_delays = sorted(t - hits[hid].stored_at.replace(tzinfo=UTC).timestamp() for t, hid in received if hid in hits)
    lines = [
        f"### {minutes:.0f}-minute soak" if minutes else "## live",
        "",
        f"{count} distinct sentences ({offsets[-1]:.0f} s of speech) paced in real time into a loopback HLS stream "
        "(2 s pieces); `clipper recorders`, a `clipper worker transcribe publish` and a `clipper worker render publish` "
        "as their own processes, "
        "SQLite and Redis; 30 s segments; tiny.en, 2 threads.",
        "",
        "| figure | p50 | p95 | max | target |",
        "|---|---|---|---|---|",
        f"| speech on air → searchable ({len(delays)} of {count} sentences found) | {_q(delays, 0.5):.1f} s | "
        f"{_q(delays, 0.95):.1f} s | {max(delays, default=0):.1f} s | p95 < 45 s |",
        f"| alert match stored → webhook received ({len(alert_delays)} alerts) | {_q(alert_delays, 0.5):.2f} s | "
        f"{_q(alert_delays, 0.95):.2f} s | {max(alert_delays, default=0):.2f} s | p95 < 5 s |",
        f"| alert match stored → rough vertical preview in storage ({len(preview_delays)} drafts) | "
        f"{_q(preview_delays, 0.5):.1f} s | {_q(preview_delays, 0.95):.1f} s | {max(preview_delays, default=0):.1f} s "
        "| < 10 s |",
        f"| approval → final vertical render of a 20 s clip, on air | {final.get('render', float('nan')):.1f} s | | | "
        "< 60 s |",
        "",
        f"Transcription backlog while on air: max {max(backlog, default=0):.1f} s of audio, last "
        f"{backlog[-1] if backlog else 0:.1f} s (a segment is 30 s: the backlog stays under one segment "
        "when transcription keeps up). Worker CPU share over the run (work horses included): "
        f"{statistics.median(cpu) if cpu else 0:.0f} % of one core; peak memory (worker and its work horses) "
        f"{peak_rss / 1e6:.0f} MB.",
        "",
        "Previews and the render are polled every 0.5 s, so each figure is late by up to that; a sentence not "
        "found within 2 minutes of airing counts as not found (tiny.en misheard its place name).",
    ]
    if windows:
        lines += ["", "| minutes on air | backlog max s | worker CPU % of one core | worker memory MB |",
                  "|---|---|---|---|"]
        lines += [f"| {end / 60:.0f} | {b:.1f} | {c:.0f} | {m:.0f} |" for end, b, c, m in windows]
    elif not minutes:
        lines += ["", "The 30-minute soak (`python -m bench.live 30`, its own subsection below when it has run) "
                  "reports the backlog, CPU share and memory per five minutes."]
    return "\n".join(lines) + "\n"


def _previews(session, previews: dict[int, float]) -> None:  # type: ignore[no-untyped-def]
    """Note each alert hit whose draft's rough vertical preview has landed in storage."""
    for hit in session.scalars(select(AlertHit).where(AlertHit.clip_id.is_not(None))):
        if hit.id in previews:
            continue
        row = session.scalars(select(Render).where(Render.clip_id == hit.clip_id, Render.preset == "vertical",
                                                   Render.status == "preview")).first()
        if row is not None:
            previews[hit.id] = time.time() - hit.stored_at.replace(tzinfo=UTC).timestamp()


def _approve_twenty_seconds(session, rec: Recording, start: float, marker_id: int, lead_id: int) -> int:  # type: ignore[no-untyped-def]
    """A volunteer marks and submits 20 s from ``start``; a social lead approves it (two people). Its id."""
    clip = clip_service.create_clip(session, rec, start=start, end=start + 20.0, title="Bench: twenty seconds",
                                    presets=["vertical"], created_by_id=marker_id)
    session.flush()
    clip_service.submit_clip(session, clip, version=clip.version, user_id=marker_id)
    session.flush()
    clip_service.approve_clip(session, clip, version=clip.version, user_id=lead_id)
    session.commit()
    return int(clip.id)


def _rendered(session, clip_id: int) -> bool:  # type: ignore[no-untyped-def]
    row = session.scalars(select(Render).where(Render.clip_id == clip_id, Render.preset == "vertical")).first()
    return row is not None and row.status == "done"


def _cpu(process: psutil.Process) -> float:
    """CPU seconds of the worker and its finished work horses (RQ waits for each: they count as children)."""
    t = process.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _q(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _broadcast(sentences: list[str]) -> tuple[Path, list[float]]:
    """A WAV of the sentences with 0.8 s pauses, and when each sentence starts in it."""
    from tests.media import speech_wav

    out = CACHE / f"broadcast-{len(sentences)}.wav"
    parts = [speech_wav(s, CACHE / f"s{len(sentences)}-{i}.wav") for i, s in enumerate(sentences)]
    offsets, at = [], 0.0
    for p in parts:
        offsets.append(at)
        with wave.open(str(p)) as w:
            at += w.getnframes() / w.getframerate() + 0.8
    if not out.exists():
        listing = CACHE / "list.txt"
        gap = CACHE / "gap.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono:d=0.8",
                        "-c:a", "pcm_s16le", str(gap)], check=True)
        listing.write_text("".join(f"file '{p}'\nfile '{gap}'\n" for p in parts))
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                        "-ar", "16000", "-ac", "1", str(out)], check=True)
    return out, offsets


def _webhook(received: list[tuple[float, int]]) -> http.server.ThreadingHTTPServer:
    import json

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((time.time(), int(json.loads(body)["hit_id"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    print(run(minutes=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0))
