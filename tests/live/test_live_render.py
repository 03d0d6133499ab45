"""A clip of a recording still on air is previewed and rendered from its stored segments, cut at the
right place (each segment a different colour, so a frame tells where it came from), with its captions
on the clip's clock; a clip across air the recorder missed is refused with the reason."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clipper.models import Clip, Render
from tests.conftest import run_jobs
from tests.live.desk_setup import COLOURS, add_segment, add_words, live_recording, stream_segments
from tests.web.team import make_team

SENTENCE = "We will not raise taxes on working people."
RGB = {"red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0)}


def _colour(path: Path, at: float) -> str:
    """The named colour nearest to the top-left corner of the frame at ``at`` seconds."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
                          "-vf", "crop=32:32:8:8,scale=1:1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    return min(RGB, key=lambda name: sum((a - b) ** 2 for a, b in zip(raw[:3], RGB[name], strict=True)))


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, check=True, text=True, timeout=60).stdout
    return float(json.loads(out)["format"]["duration"])


def _on_air(ctx, tmp_path: Path, *, gap: bool = False) -> int:  # type: ignore[no-untyped-def]
    segments = stream_segments(tmp_path / "stream", 3, coloured=True)
    rid = live_recording(ctx.sessions)
    for i, path in enumerate(segments):
        start = 4.0 * i + (6.0 if gap and i == 2 else 0.0)
        add_segment(ctx.sessions, ctx.store, rid, i, path, start=start, duration=4.0,
                    gap_before=6.0 if gap and i == 2 else 0.0)
    add_words(ctx.sessions, rid, SENTENCE, 6.5 if not gap else 13.0, speaker="Speaker 1")
    return rid


def test_a_clip_on_air_is_previewed_and_rendered_from_its_segments(client, ctx, tmp_path: Path, redis_url) -> None:  # type: ignore[no-untyped-def]
    team = make_team(ctx)
    rid = _on_air(ctx, tmp_path)
    # "not raise taxes on working people": 7.5–10.4 s, across the green (4–8 s) and blue (8–12 s) segments
    made = client.post(f"/api/v1/recordings/{rid}/clips", headers=team.vol_a.headers,
                       json={"start": 7.5, "end": 10.4, "title": "No tax rise", "presets": ["vertical"]})
    assert made.status_code == 201, made.json
    clip_id = made.json["id"]
    sent = client.post(f"/api/v1/clips/{clip_id}/submit", headers=team.vol_a.headers,
                       json={"version": made.json["version"]})
    assert sent.status_code == 200, sent.json
    run_jobs(redis_url)  # the rough preview, made while the recording is still live
    with ctx.sessions() as db:
        preview = db.query(Render).filter_by(clip_id=clip_id).one()
        assert preview.status == "preview", preview.error
        path = ctx.store.get_file(preview.storage_key, tmp_path / "preview.mp4")
    assert 2.9 <= _duration(path) <= 2.9 + 1.05  # a rough cut starts at the keyframe before (one a second)
    assert _colour(path, 0.1) == "green" and _colour(path, _duration(path) - 0.2) == "blue"

    approved = client.post(f"/api/v1/clips/{clip_id}/approve", headers=team.lead.headers,
                           json={"version": sent.json["version"]})
    assert approved.status_code == 200, approved.json
    run_jobs(redis_url)
    with ctx.sessions() as db:
        render = db.query(Render).filter_by(clip_id=clip_id, preset="vertical").one()
        assert render.status == "done", render.error
        assert (render.width, render.height) == (1080, 1920)
        path = ctx.store.get_file(render.storage_key, tmp_path / "vertical.mp4")
        srt = ctx.store.get_file(render.srt_key, tmp_path / "captions.srt").read_text()
    assert _duration(path) == pytest.approx(2.9, abs=0.1)
    assert _colour(path, 0.2) == "green" and _colour(path, 2.7) == "blue"
    assert "00:00:00,000 -->" in srt and "not raise taxes" in srt.replace("\n", " ")  # captions on the clip's clock


def test_a_clip_across_a_gap_in_the_air_is_refused_with_the_reason(client, ctx, tmp_path: Path, redis_url) -> None:  # type: ignore[no-untyped-def]
    team = make_team(ctx)
    rid = _on_air(ctx, tmp_path, gap=True)  # red 0–4, green 4–8, (6 s missed), blue 14–18
    made = client.post(f"/api/v1/recordings/{rid}/clips", headers=team.vol_a.headers,
                       json={"start": 7.0, "end": 15.0, "title": "Across the gap", "presets": ["vertical"]})
    assert made.status_code == 201, made.json
    client.post(f"/api/v1/clips/{made.json['id']}/submit", headers=team.vol_a.headers,
                json={"version": made.json["version"]})
    run_jobs(redis_url)
    with ctx.sessions() as db:
        row = db.query(Render).filter_by(clip_id=made.json["id"]).one()
        assert row.status == "failed" and "gap" in row.error and "before the gap" in row.error
        assert db.get(Clip, made.json["id"]).status == "submitted"  # the clip itself is untouched
    assert COLOURS[:3] == ("red", "green", "blue")
