"""The clipping desk: a 3-hour recording (~30,000 words) on the recording page in Chromium.

- interactive: from navigation start until a click on a transcript word has been handled (the
  transcript's first chunk rendered, handlers bound, the player seeked), median of several loads;
  also when every word is on the page;
- highlight rate: highlight updates and word changes per second while playing 20x on the page's own
  clock (no video needed), and the longest gap between two updates;
- save-clip server time: PATCH and POST of a clip through the real app (test client), medians.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.models import ApiToken, Recording, Segment, User, Word
from clipper.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
HOURS = 3.0
WORDS = 30_000
VOCAB = ("the minister said we will build homes hospital spring taxes working families country plan "
         "parliament today question answer government budget schools police energy prices").split()


CLICK_ASAP = """(() => {
  const attempt = () => {
    const word = document.querySelector('#transcript .w[data-i="40"]');
    if (word) word.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    else requestAnimationFrame(attempt);
  };
  requestAnimationFrame(attempt);
})()"""


def _recording(sessions: Any) -> int:
    """A ready 3-hour recording with 30,000 generated words in ~12-word segments, two speakers."""
    rng = random.Random(4)
    duration = HOURS * 3600
    step = duration / WORDS
    with sessions() as db:
        rec = Recording(title="Three hours of parliament", status="ready", duration=duration, probe={"fps": 25.0})
        db.add(rec)
        db.flush()
        segs, words, idx, seg_idx = [], [], 0, 0
        while idx < WORDS:
            n = min(rng.randint(6, 18), WORDS - idx)
            segs.append({"id": seg_idx + 1, "recording_id": rec.id, "idx": seg_idx, "start": idx * step,
                         "end": (idx + n) * step, "text": "", "speaker": ("Speaker A", "Speaker B")[(seg_idx // 5) % 2]})
            for _ in range(n):
                words.append({"recording_id": rec.id, "segment_id": seg_idx + 1, "idx": idx, "start": idx * step,
                              "end": idx * step + step * 0.8, "text": rng.choice(VOCAB), "probability": 0.9})
                idx += 1
            seg_idx += 1
        db.execute(insert(Segment), segs)
        db.execute(insert(Word), words)
        db.commit()
        return rec.id


def _user(sessions: Any) -> tuple[str, str]:
    from werkzeug.security import generate_password_hash

    with sessions() as db:
        user = User(email="bench@example.org", name="bench", role="volunteer",
                    password_hash=generate_password_hash("bench password 1"))
        db.add(user)
        db.flush()
        secret = ApiToken.new_secret()
        db.add(ApiToken(user_id=user.id, name="bench", token_hash=ApiToken.hash(secret)))
        db.commit()
        return user.email, secret


def _browser_numbers(url: str, rid: int, email: str, loads: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"interactive": [], "playwright": [], "rendered": [], "rate": [], "changes": [], "gap": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(f"{url}/login")
        page.fill("#email", email)
        page.fill("#password", "bench password 1")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{url}/recordings/{rid}")  # warm the server's caches once
        page.wait_for_selector("body[data-desk-ready='1']", timeout=60_000)
        for _ in range(loads):  # Playwright's click: includes its own checks (visible, stable, hit)
            page.goto(f"{url}/recordings/{rid}", wait_until="commit")
            page.click('#transcript .w[data-i="40"]', timeout=30_000)
            out["playwright"].append(page.evaluate("window.__desk.seekAt"))
            page.wait_for_selector("body[data-desk-ready='1']", timeout=60_000)
            out["rendered"].append(page.evaluate("window.__desk.rendered"))
        # In-page: a click on the word on the first frame where it exists, as a volunteer's would land.
        clicker = ctx.new_page()
        clicker.add_init_script(CLICK_ASAP)
        for _ in range(loads):
            clicker.goto(f"{url}/recordings/{rid}")
            clicker.wait_for_function("window.__desk && window.__desk.seekAt > 0", timeout=60_000)
            out["interactive"].append(clicker.evaluate("window.__desk.seekAt"))
        # playback on the page's own clock at 20x: ~55 words a second cross the highlight
        ctx.add_init_script("window.__deskClock = {rate: 20}")
        page = ctx.new_page()
        for _ in range(max(2, loads // 2)):
            page.goto(f"{url}/recordings/{rid}")
            page.wait_for_selector("body[data-desk-ready='1']", timeout=60_000)
            page.click("#play")
            page.wait_for_timeout(500)
            before = page.evaluate("({...window.__desk, now: performance.now()})")
            page.wait_for_timeout(3000)
            after = page.evaluate("({...window.__desk, now: performance.now()})")
            seconds = (after["now"] - before["now"]) / 1000
            out["rate"].append((after["ticks"] - before["ticks"]) / seconds)
            out["changes"].append((after["changes"] - before["changes"]) / seconds)
            out["gap"].append(after.get("maxGap", 0))
        browser.close()
    return out


def _save_times(app: Any, rid: int, token: str, n: int) -> dict[str, float]:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    step = HOURS * 3600 / WORDS
    creates, patches = [], []
    for k in range(n):
        start = (1000 + 37 * k) * step
        t0 = time.perf_counter()
        resp = client.post(f"/api/v1/recordings/{rid}/clips", headers=auth,
                           json={"start": start, "end": start + 40 * step, "title": f"clip {k}"})
        creates.append(time.perf_counter() - t0)
        assert resp.status_code == 201, resp.json
        clip = resp.json
        t0 = time.perf_counter()
        resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={
            "version": clip["version"], "end": start + 45 * step, "title": f"clip {k} (edited)",
            "caption_words": [{"start": clip["caption_words"][0]["start"], "text": "Fixed"}]})
        patches.append(time.perf_counter() - t0)
        assert resp.status_code == 200, resp.json
    return {"create": statistics.median(creates) * 1000, "patch": statistics.median(patches) * 1000}


def run(quick: bool = False) -> str:
    import logging

    from werkzeug.serving import make_server

    from web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the report's output
    loads = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url_db = f"sqlite:///{data / 'clipper.db'}"
        upgrade(url_db)
        sessions = make_sessionmaker(make_engine(url_db))
        rid = _recording(sessions)
        email, token = _user(sessions)
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        settings = Settings.from_env({}, data_dir=data, database_url=url_db, secret_key="bench",
                                     public_base_url=base)
        app = create_app(settings, redis_url="")
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with app.test_client() as c:
                size = len(c.get(f"/api/v1/recordings/{rid}/words", headers={"Authorization": f"Bearer {token}"}).data)
            b = _browser_numbers(base, rid, email, loads)
            saves = _save_times(app, rid, token, 10 if quick else 30)
        finally:
            server.shutdown()
            thread.join(10)

    med = statistics.median
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return "\n".join([
        "## desk: the recording page",
        "",
        f"A generated {HOURS:.0f}-hour recording with {WORDS:,} words (transcript JSON {size / 1024:.0f} KiB), "
        f"Chromium headless, {loads} loads. Targets: interactive < 1500 ms, highlight ≥ 30 updates/s, save < 300 ms. "
        f"Load average when done: {load} on {os.cpu_count()} cores (the browser, the server and everything else "
        "running share them, so busy machines read slower).",
        "",
        "| measure | median | all runs |",
        "|---|---|---|",
        f"| interactive: navigation → word click handled (ms) | {med(b['interactive']):.0f} | "
        f"{', '.join(f'{x:.0f}' for x in b['interactive'])} |",
        f"| the same, clicked by Playwright (adds its visibility and stability checks) (ms) | "
        f"{med(b['playwright']):.0f} | {', '.join(f'{x:.0f}' for x in b['playwright'])} |",
        f"| every word rendered (ms) | {med(b['rendered']):.0f} | {', '.join(f'{x:.0f}' for x in b['rendered'])} |",
        f"| highlight updates per second while playing | {med(b['rate']):.1f} | "
        f"{', '.join(f'{x:.1f}' for x in b['rate'])} |",
        f"| highlighted word changes per second (20× playback) | {med(b['changes']):.1f} | "
        f"{', '.join(f'{x:.1f}' for x in b['changes'])} |",
        f"| longest gap between highlight updates (ms) | {med(b['gap']):.0f} | {', '.join(f'{x:.0f}' for x in b['gap'])} |",
        f"| create clip, server time (ms) | {saves['create']:.1f} | |",
        f"| save clip (PATCH with version, caption fix), server time (ms) | {saves['patch']:.1f} | |",
        "",
    ])


if __name__ == "__main__":
    print(run(quick=True))
