"""Making small real media for tests: speech from espeak-ng, video from ffmpeg's test sources."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The team's real test media: ``../shared/data`` beside the checkout, or where CLIPPER_SHARED_DATA points.
SHARED_DATA = Path(os.environ.get("CLIPPER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
JFK = SHARED_DATA / "jfk.flac"

SENTENCES = (
    "Good evening. The minister said the new hospital will open next spring.",
    "Our plan will build more homes and cut waiting lists for families across the country.",
    "We will not raise taxes on working people during this parliament.",
)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def speech_wav(text: str, dest: Path, *, voice: str = "en-us", speed: int = 150, pitch: int = 50) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(dest), text], check=True,
                   capture_output=True)
    return dest


def speech_video(dest: Path, sentences: tuple[str, ...] = SENTENCES, *, size: str = "640x360",
                 gap: float = 0.8) -> Path:
    """An MP4 (H.264 + AAC) of ``sentences`` spoken with pauses over a moving test pattern."""
    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, text in enumerate(sentences):
        parts.append(speech_wav(text, work / f"s{i}.wav"))
    filter_parts = "".join(f"[{i}:a]apad=pad_dur={gap}[a{i}];" for i in range(len(parts)))
    concat = "".join(f"[a{i}]" for i in range(len(parts)))
    audio = work / "speech.wav"
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for p in parts:
        cmd += ["-i", str(p)]
    cmd += ["-filter_complex", f"{filter_parts}{concat}concat=n={len(parts)}:v=0:a=1,aresample=48000[out]",
            "-map", "[out]", str(audio)]
    subprocess.run(cmd, check=True)
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
        "-i", str(audio), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", str(dest),
    ], check=True)
    shutil.rmtree(work, ignore_errors=True)
    return dest


def test_video(dest: Path, *, seconds: float = 3, size: str = "320x240", rate: int = 25, audio: bool = True) -> Path:
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest)]
    subprocess.run(cmd, check=True)
    return dest


test_video.__test__ = False  # a helper, not a test, despite its name
make_video = test_video
