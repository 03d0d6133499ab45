"""An audio-only recording (radio, a podcast) on the recording page: the waveform, not a black box."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clipper.models import Recording
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def _audio_recording(live: LiveServer, tmp_path: Path) -> int:
    audio = tmp_path / "proxy.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=6",
                    "-c:a", "aac", str(audio)], check=True)
    peaks = [round(abs((i % 40) - 20) / 20 * 100) for i in range(600)]  # a saw-tooth: clearly drawn
    store = live.app.extensions["clipper.store"]
    with live.sessions() as db:
        rec = Recording(title="Radio 4 Today", status="ready", duration=6.0,
                        probe={"fps": 25.0, "has_video": False, "has_audio": True, "width": 0, "height": 0})
        db.add(rec)
        db.flush()
        rec.proxy_key, rec.peaks_key = f"recordings/{rec.id}/proxy.mp4", f"recordings/{rec.id}/peaks.json"
        store.put_file(rec.proxy_key, audio)
        store.put_bytes(rec.peaks_key, json.dumps({"version": 2, "data": peaks}).encode(), content_type="application/json")
        db.commit()
        return rec.id


def test_an_audio_only_recording_shows_its_waveform_not_a_black_player(live_server, page_as, tmp_path: Path) -> None:
    rid = _audio_recording(live_server, tmp_path)
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/recordings/{rid}")
    page.wait_for_selector("body[data-desk-ready='1']")
    player = page.locator("#player")
    box = player.bounding_box()
    assert box is not None and box["height"] <= 80  # the controls only
    background = player.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background in ("rgba(0, 0, 0, 0)", "transparent"), background  # no black rectangle
    timeline = page.locator("#timeline")
    assert timeline.bounding_box()["height"] >= 150  # the waveform takes the picture's place
    # ...and it is drawn: many columns carry the wave's colour.
    page.wait_for_function("""() => {
        const c = document.getElementById('timeline');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0x7d && d[i + 1] === 0x8a && d[i + 2] === 0xa0) n++;
        return n > c.width * 10;
    }""", timeout=10000)
