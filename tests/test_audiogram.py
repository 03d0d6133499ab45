"""Radio and podcast clips: an MP3 is ingested, transcribed, clipped and rendered as audiograms in every size.

Before, every variant failed (``ZeroDivisionError`` in ``output_size``: the width of no picture is 0), was
retried three times, and the volunteer read "Something went wrong on our side".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.probe import probe
from clipper.render.presets import PRESETS
from tests.clipper.test_render_loudness import r128
from tests.conftest import make_user, run_jobs
from tests.media import SENTENCES, have, speech_wav

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
BACKGROUND = (0x12, 0x28, 0x4C)  # the default audiogram background (#12284C)


@pytest.fixture(scope="module")
def speech_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("radio")
    wav = speech_wav(" ".join(SENTENCES[:2]), work / "speech.wav")
    mp3 = work / "radio.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k", str(mp3)],
                   check=True)
    return mp3


def frame_rgb(path: Path, at: float, width: int, height: int) -> bytes:
    raw = ffmpeg.run(["-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1", "-vf", "format=rgb24", "-f", "rawvideo",
                      "pipe:1"], trusted=True, capture_stdout=True).stdout
    assert len(raw) == width * height * 3
    return raw


def bright_share(raw: bytes, width: int, rows: range) -> float:
    """Share of pixels in ``rows`` that are caption-bright (white text, or the yellow lit word)."""
    hits = total = 0
    for y in rows:
        line = raw[y * width * 3:(y + 1) * width * 3]
        for x in range(0, width * 3, 6):  # every other pixel is plenty
            total += 1
            hits += line[x] > 190 and line[x + 1] > 170
    return hits / total


def test_an_mp3_clip_renders_as_an_audiogram_in_every_size(client, auth, redis_url, ctx, speech_mp3: Path,
                                                            tmp_path: Path) -> None:
    with speech_mp3.open("rb") as fh:
        resp = client.post("/api/v1/recordings", headers=auth, data={"title": "Radio 4", "file": (fh, "radio.mp3")})
    assert resp.status_code == 202, resp.json
    rid = resp.json["id"]
    run_jobs(redis_url, ("ingest", "transcribe"))
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "ready", rec
    words = [w for s in client.get(f"/api/v1/recordings/{rid}/transcript", headers=auth).json["segments"]
             for w in s["words"]]
    chosen = words[1:8]
    start, end = chosen[0]["start"], chosen[-1]["end"]
    resp = client.post("/api/v1/clips", headers=auth, json={
        "recording_id": rid, "start": start, "end": end, "title": "Hospital", "presets": list(PRESETS)})
    assert resp.status_code == 201, resp.json
    cid = resp.json["id"]
    lead = {"Authorization": "Bearer " + make_user(ctx, "lead@example.org", "social_lead")[1]}
    submitted = client.post(f"/api/v1/clips/{cid}/submit", headers=auth, json={"version": resp.json["version"]})
    assert submitted.status_code == 200, submitted.json
    approved = client.post(f"/api/v1/clips/{cid}/approve", headers=lead, json={"version": submitted.json["version"]})
    assert approved.status_code == 200, approved.json  # a lead's approval queues the renders
    run_jobs(redis_url, ("render",))
    renders = {r["preset"]: r for r in client.get(f"/api/v1/clips/{cid}", headers=auth).json["renders"]}
    assert set(renders) == set(PRESETS)
    # A moment when a caption is up: just after the third word starts.
    at = chosen[2]["start"] - start + 0.1
    for name, preset in PRESETS.items():
        row = renders[name]
        assert row["status"] == "done", row
        out = ctx.store.get_file(row["storage_key"], tmp_path / f"{name}.mp4")
        info = probe(out, trusted=True)
        assert info.has_video and (info.width, info.height) == (preset.width, preset.height), name
        assert abs(info.duration - (end - start)) <= 0.1
        w, h = preset.width, preset.height
        raw = frame_rgb(out, at, w, h)
        # Not black: the campaign's background colour fills the frame away from the wave and text.
        px = ((h // 2 + round(h * 0.22)) * w + w - 20) * 3 if name != "vertical" else ((h * 9 // 10) * w + w - 20) * 3
        assert all(abs(raw[px + i] - BACKGROUND[i]) <= 12 for i in range(3)), (name, raw[px:px + 3])
        # The caption: bright text in the lower part of the frame (the waveform is above it, the strap at the top).
        caption_rows = range(round(h * 0.62), round(h * 0.97), 2)
        assert bright_share(raw, w, caption_rows) > 0.01, name
        # The waveform moves: the middle band differs between two moments of speech.
        later = frame_rgb(out, min(at + 0.5, end - start - 0.1), w, h)
        middle = slice(round(h * 0.3) * w * 3, round(h * 0.6) * w * 3)
        assert raw[middle] != later[middle], name
        integrated, peak = r128(out)
        assert abs(integrated - (-14.0)) <= 1.0 and peak <= -0.95, (name, integrated, peak)
