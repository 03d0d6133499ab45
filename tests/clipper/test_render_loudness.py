"""Loudness of rendered speech: every clip from 1 s to a minute lands within ±1 LU of the target, peaks under
the ceiling — measured on the rendered MP4 with ffmpeg's own EBU R128 meter, as a listener's app would.

One-pass ``loudnorm`` put a 2 s speech clip at -33 LUFS and a 10 s one at -16 (target -14); a tone
source hid it. These use real speech: espeak-ng reading a briefing, and the JFK recording when the
team's shared data is beside the checkout.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from clipper.probe import probe
from clipper.render import Loudness, Source, build_plan, render
from tests.media import JFK, have
from tests.speech_data import BRIEFING, long_speech

pytestmark = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")


def r128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file's audio, from ffmpeg's ebur128 summary."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a",
                          "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True,
                         check=True).stderr
    summary = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),  # type: ignore[union-attr]
            float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1)))  # type: ignore[union-attr]


def with_picture(audio: Path, dest: Path) -> Path:
    """A small H.264 + AAC recording of ``audio`` (mono, as broadcast speech often is)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                    "-i", str(audio), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "96k", "-ac", "1", str(dest)], check=True)
    return dest


@pytest.fixture(scope="module")
def briefing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100 s of generated speech (the briefing read twice) with a picture."""
    work = tmp_path_factory.mktemp("speech")
    wav, _ = long_speech(work / "briefing.wav", BRIEFING, repeat=2, gap=0.5)
    return with_picture(wav, work / "briefing.mp4")


@pytest.fixture(scope="module")
def jfk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not JFK.is_file():
        pytest.skip(f"{JFK} is not here (the team's shared test data)")
    return with_picture(JFK, tmp_path_factory.mktemp("jfk") / "jfk.mp4")


def rendered_loudness(source: Path, start: float, seconds: float, work: Path,
                      loudness: Loudness | None = None) -> tuple[float, float]:
    info = probe(source)
    plan = build_plan(Source(source, info.width, info.height, info.fps, info.has_audio, info.duration),
                      start=start, end=start + seconds, presets=["landscape"], loudness=loudness)
    [out] = render(plan, work)
    assert abs(out.duration - seconds) <= 0.05
    return r128(out.path)


@pytest.mark.parametrize("seconds", [
    pytest.param(1, marks=pytest.mark.slow), 2, pytest.param(3, marks=pytest.mark.slow),
    pytest.param(10, marks=pytest.mark.slow), pytest.param(60, marks=pytest.mark.slow)])
def test_generated_speech_lands_on_the_target(briefing: Path, tmp_path: Path, seconds: int) -> None:
    integrated, peak = rendered_loudness(briefing, 2.0, seconds, tmp_path)
    assert abs(integrated - (-14.0)) <= 1.0, (seconds, integrated)
    assert peak <= -1.0 + 0.05, (seconds, peak)  # the meter reports one decimal


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [1, 2, 3, 10])
def test_real_speech_lands_on_the_target(jfk: Path, tmp_path: Path, seconds: int) -> None:
    integrated, peak = rendered_loudness(jfk, 0.3, seconds, tmp_path)
    assert abs(integrated - (-14.0)) <= 1.0, (seconds, integrated)
    assert peak <= -1.0 + 0.05, (seconds, peak)


@pytest.mark.slow
def test_the_configured_target_is_the_one_met(briefing: Path, tmp_path: Path) -> None:
    """CLIPPER_RENDER_LOUDNESS_LUFS / CLIPPER_RENDER_TRUE_PEAK reach the renderer as ``Loudness``."""
    integrated, peak = rendered_loudness(briefing, 20.0, 2, tmp_path, Loudness(target_lufs=-23.0, true_peak=-3.0))
    assert abs(integrated - (-23.0)) <= 1.0, integrated
    assert peak <= -3.0 + 0.05, peak


def test_a_silent_stretch_is_not_lifted_to_speech_level(tmp_path: Path) -> None:
    """Nothing to measure (near silence) gets no gain: no hiss pumped up to -14 LUFS."""
    src = tmp_path / "hiss.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:d=3",
                    "-f", "lavfi", "-i", "anoisesrc=a=0.0002:d=3:r=48000", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(src)], check=True)
    integrated, _ = rendered_loudness(src, 0.5, 2, tmp_path)
    assert integrated < -50, integrated
