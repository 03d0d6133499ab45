"""The browser proxy: plays at once (faststart), at most 720p, with a poster and waveform peaks."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.probe import probe
from clipper.proxy import make_proxy, proxy_size
from tests.media import test_video


def _top_level_boxes(path: Path) -> list[bytes]:
    boxes, data = [], path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset: offset + 8])
        boxes.append(kind)
        offset += size if size else len(data)
    return boxes


def test_proxy_size_only_scales_down() -> None:
    assert proxy_size(1920, 1080) == (1280, 720)
    assert proxy_size(1080, 1920) == (720, 1280)  # portrait: the short side is capped too
    assert proxy_size(640, 360) == (640, 360)
    assert proxy_size(3840, 2160) == (1280, 720)
    assert proxy_size(1442, 1081) == (960, 720)


def test_proxy_of_a_1080p_recording(tmp_path: Path) -> None:
    original = test_video(tmp_path / "hd.mkv", seconds=1, size="1920x1080")
    before = original.read_bytes()
    info = probe(original)
    seen: list[float] = []
    result = make_proxy(original, info, tmp_path / "work", progress=seen.append)

    assert original.read_bytes() == before  # the original is untouched
    assert _top_level_boxes(result.video).index(b"moov") < _top_level_boxes(result.video).index(b"mdat")
    streams = {s["codec_type"]: s for s in ffmpeg.ffprobe(result.video, trusted=True)["streams"]}
    assert (streams["video"]["codec_name"], streams["video"]["width"], streams["video"]["height"]) == ("h264", 1280, 720)
    assert streams["video"]["pix_fmt"] == "yuv420p" and streams["audio"]["codec_name"] == "aac"
    assert float(streams["video"]["duration"]) == pytest.approx(1.0, abs=0.1)
    assert seen and seen[-1] == pytest.approx(1.0, abs=0.05)

    peaks = json.loads(result.peaks.read_text())
    assert peaks["version"] == 2 and peaks["bits"] == 8 and peaks["channels"] == 1
    seconds = peaks["length"] * peaks["samples_per_pixel"] / peaks["sample_rate"]
    assert seconds == pytest.approx(1.0, abs=0.1)
    assert max(peaks["data"]) > 10 and min(peaks["data"]) < -10  # the test tone is there
    assert all(-128 <= v <= 127 for v in peaks["data"])

    assert result.poster.read_bytes()[:3] == b"\xff\xd8\xff"
    poster = ffmpeg.ffprobe(result.poster, trusted=True)["streams"][0]
    assert (poster["width"], poster["height"]) == (1280, 720)


def test_proxy_keeps_a_small_video_small_and_handles_silence(tmp_path: Path) -> None:
    original = test_video(tmp_path / "small.mp4", seconds=2, size="320x240", audio=False)
    result = make_proxy(original, probe(original), tmp_path / "work")
    streams = ffmpeg.ffprobe(result.video, trusted=True)["streams"]
    assert [(s["codec_type"], s.get("width")) for s in streams] == [("video", 320)]
    assert result.peaks is None and result.poster is not None


def test_proxy_of_audio_only(tmp_path: Path) -> None:
    original = tmp_path / "radio.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=2", str(original)], check=True)
    result = make_proxy(original, probe(original), tmp_path / "work")
    streams = ffmpeg.ffprobe(result.video, trusted=True)["streams"]
    assert [s["codec_type"] for s in streams] == ["audio"]
    assert result.poster is None and json.loads(result.peaks.read_text())["length"] == 50
