"""The public gallery under a rush: wrk with 200 connections for 30 s against the real web server.

For each server (granian, what ``clipper up`` runs; gunicorn with gthread workers and waitress, the
alternatives) and side by side in one run: a static file of the same size as the page, served by the
same server (``/files/``, a signed link), against the gallery page ``/`` and a clip page ``/c/<slug>``,
first without the page cache (``CLIPPER_GALLERY_CACHE_SECONDS=0``: every request renders from the
database) and then with it (10 s: rendered pages, and their finished responses replayed in front of
Flask, web/page_cache.py). The goal: each page at least 0.5× the static file's requests per
second, p99 under 100 ms, no errors. One 30-s run per cell (``--quick``: 5 s), after a 3-s warm-up.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from clipper import gallery
from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.models import Clip, Recording, Render
from clipper.share import make_share
from storage.base import StoreConfig
from storage.local import LocalStore

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS, SECONDS, CLIPS = 200, 30, 40
SPEAKERS = ("Jo Bloggs", "Sam Smith", "Alex Jones")


@dataclass(frozen=True)
class Load:
    rps: float
    p99_ms: float
    errors: int
    requests: int


def wrk(url: str, seconds: int) -> Load:
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (sum(int(g) for g in socket_errors.groups()) if socket_errors else 0) + (int(bad.group(1)) if bad else 0)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Load(rps, float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"), errors, total)


def _media(work: Path) -> tuple[Path, object]:
    work.mkdir(parents=True, exist_ok=True)
    mp4 = work / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
                    "-f", "lavfi", "-i", "sine=duration=2", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(mp4)], check=True)
    return mp4, make_share(mp4, 320, 240, 2.0, work / "share")


def _publish(url_db: str, store: LocalStore, work: Path) -> str:
    """CLIPS published clips with posters, speakers and tags; returns one slug."""
    mp4, share = _media(work)
    digest = hashlib.sha256(mp4.read_bytes()).hexdigest()
    sessions = make_sessionmaker(make_engine(url_db))
    slug = ""
    with sessions() as db:
        rec = Recording(title="Bench", status="ready", duration=60.0)
        db.add(rec)
        db.flush()
        for i in range(CLIPS):
            clip = Clip(recording_id=rec.id, start=1.0, end=3.0, status="approved", title=f"Clip {i}: the minister on "
                        "hospitals, schools and prices", speaker=SPEAKERS[i % 3], tags=["NHS", f"week {i % 4}"],
                        post_copy="Watch what the minister said today and share it with your friends.",
                        caption_words=[{"start": 1.0 + j * 0.1, "end": 1.1 + j * 0.1, "text": f"word{j}"}
                                       for j in range(20)], presets=["vertical", "square", "landscape"])
            db.add(clip)
            db.flush()
            for preset in clip.presets:
                key = f"clips/{clip.id}/{preset}.mp4"
                store.put_file(key, mp4, content_type="video/mp4")
                clip.renders.append(Render(preset=preset, status="done", storage_key=key, size=mp4.stat().st_size,
                                           sha256=digest, width=320, height=240, duration=2.0))
            keys = (f"clips/{clip.id}/share.mp4", f"clips/{clip.id}/share.jpg")
            store.put_file(keys[0], share.video)  # type: ignore[attr-defined]
            store.put_file(keys[1], share.image)  # type: ignore[attr-defined]
            db.flush()
            slug = gallery.publish(db, clip, share, keys).slug  # type: ignore[arg-type]
        db.commit()
    return slug


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data: Path, url_db: str, server: str, cache: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLIPPER_DATA_DIR": str(data), "CLIPPER_DATABASE_URL": url_db, "CLIPPER_SECRET_KEY": "bench",
           "CLIPPER_PUBLIC_BASE_URL": base, "CLIPPER_PORT": str(port), "CLIPPER_WEB_SERVER": server,
           "CLIPPER_GALLERY_CACHE_SECONDS": str(cache), "PYTHONPATH": str(ROOT),
           "CLIPPER_REDIS_URL": os.environ.get("CLIPPER_TEST_REDIS_URL", "")}
    log = open(data / f"server-{server}-{cache}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "web"], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{server} did not start: {(data / f'server-{server}-{cache}.log').read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _static_twin(store: LocalStore, base: str, page_url: str, name: str) -> str:
    """A file of the page's size in the store, and a signed link to it on this server."""
    size = len(urllib.request.urlopen(page_url, timeout=10).read())
    key = f"bench/{name}.txt"
    store.put_bytes(key, os.urandom(size // 2).hex().encode()[:size].ljust(size, b"x"))
    store.base_url = base
    return store.url(key, expires=24 * 3600)


def _measure(url: str, seconds: int, warm: int) -> Load:
    if warm:
        wrk(url, warm)
    return wrk(url, seconds)


def run(quick: bool = False) -> str:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (make bench installs it: apt-get install wrk)")
    seconds, warm = (5, 1) if quick else (SECONDS, 3)
    rows: list[tuple[str, str, str, Load, Load]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url_db = f"sqlite:///{data / 'clipper.db'}"
        upgrade(url_db)
        store = LocalStore(StoreConfig(url=str(data / "objects"), secret_key="bench"))
        slug = _publish(url_db, store, data / "work")
        for server in ("granian", "gunicorn", "waitress"):
            static: dict[str, Load] = {}
            for cache in (0, 10):
                proc, base = _serve(data, url_db, server, cache)
                try:
                    pages = {"gallery": f"{base}/", "clip page": f"{base}/c/{slug}"}
                    if not static:
                        for name, url in pages.items():
                            static[name] = _measure(_static_twin(store, base, url, name.replace(" ", "-")),
                                                    seconds, warm)
                    for name, url in pages.items():
                        rows.append((server, name, "off" if cache == 0 else f"{cache} s",
                                     _measure(url, seconds, warm), static[name]))
                finally:
                    _stop(proc)
    return _report(rows, seconds)


def _report(rows: list[tuple[str, str, str, Load, Load]], seconds: int) -> str:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "## gallery: public pages under a rush",
        "",
        f"wrk, {CONNECTIONS} connections for {seconds} s per cell (2 threads, on the same machine as the server), "
        f"{CLIPS} published clips in SQLite; the static file is the page's size, served by the same server "
        "(`/files/`). granian: 2 processes × 16 Python threads; gunicorn: gthread, 2 processes × 16 threads; "
        "waitress: 16 threads, connection limit 1000. Page cache 10 s: rendered pages, and their finished responses "
        "replayed before Flask (web/page_cache.py). "
        "Goal: page ≥ 0.5× static req/s, p99 < 100 ms, 0 errors.",
        "",
        "| server | page | page cache | req/s | p99 ms | errors | static req/s | static p99 ms | static errors | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server, page, cache, got, static in rows:
        lines.append(f"| {server} | {page} | {cache} | {got.rps:.0f} | {got.p99_ms:.0f} | {got.errors} | "
                     f"{static.rps:.0f} | {static.p99_ms:.0f} | {static.errors} | {got.rps / static.rps:.2f} |")
    lines += ["", f"Load average at the end: {load} (the machine is shared; absolute figures vary with it)."]
    return "\n".join(lines) + "\n"
