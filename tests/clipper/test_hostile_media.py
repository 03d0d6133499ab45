"""Hostile media costs what a normal file costs: caps on frame rate, frame count, picture size on every
frame, streams, and the memory of every ffmpeg/ffprobe child.

The files are made here with ffmpeg (and a few bytes of Matroska written by hand): a 1000 fps
16×16 video, an MKV whose picture grows from 320×240 to 10000×10000 partway through, and MKVs
describing hundreds of thousands of tracks (the ingest and proxy jobs' view of them, what a
volunteer sees, is in tests/workers/test_hostile_ingest.py). Peak memory is read the way an operator would see it:
``getrusage(RUSAGE_CHILDREN)`` in a fresh process that ran only that step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.errors import FFmpegError, MediaError, OverLimit
from clipper.limits import Limits, output_rate
from clipper.probe import probe
from clipper.proxy import make_proxy
from clipper.render import Source, build_plan, render
from tests.media import test_video

ROOT = Path(__file__).resolve().parents[2]


def ffprobe_json(path: Path, *entries: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", *entries, "-of", "json", str(path)], capture_output=True,
                         check=True).stdout
    return json.loads(out)


def growing_mkv(dest: Path, big: int = 10000) -> Path:
    """Matroska (MJPEG) whose header and first two frames are 320×240 and last two frames ``big``×``big``."""
    work = dest.parent / "frames"
    work.mkdir(exist_ok=True)
    for first, size in ((1, "320x240"), (3, f"{big}x{big}")):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=blue:s={size}:d=1",
                        "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "31", "-pix_fmt", "yuvj420p",
                        str(work / f"f{first:03d}.jpg")], check=True)
        (work / f"f{first + 1:03d}.jpg").write_bytes((work / f"f{first:03d}.jpg").read_bytes())
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "image2", "-framerate", "2", "-i", str(work / "f%03d.jpg"),
                    "-c", "copy", str(dest)], check=True)
    return dest


def many_tracks_mkv(dest: Path, tracks: int) -> Path:
    """A Matroska file describing ``tracks`` PCM audio tracks (about 25 bytes each) and no media."""
    def size(n: int) -> bytes:
        return bytes([0x80 | n]) if n < 0x7F else b"\x01" + n.to_bytes(7, "big")  # 1 or 8 bytes

    def el(ident: bytes, payload: bytes) -> bytes:
        return ident + size(len(payload)) + payload

    header = el(b"\x1a\x45\xdf\xa3", el(b"\x42\x82", b"matroska") + el(b"\x42\x87", b"\x04") + el(b"\x42\x85", b"\x02"))
    info = el(b"\x15\x49\xa9\x66", el(b"\x2a\xd7\xb1", (1000000).to_bytes(3, "big")))
    entries = b"".join(el(b"\xae", el(b"\xd7", i.to_bytes(3, "big")) + el(b"\x83", b"\x02")
                              + el(b"\x86", b"A_PCM/INT/LIT")) for i in range(1, tracks + 1))
    segment = info + el(b"\x16\x54\xae\x6b", entries)
    dest.write_bytes(header + b"\x18\x53\x80\x67" + size(len(segment)) + segment)
    return dest


def in_fresh_process(code: str) -> dict:
    """Run ``code`` (which sets ``result``) in a new Python; return ``result`` plus its children's peak RSS."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import json, resource
        result["children_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(result))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def caps() -> Iterator[None]:
    """Put the runner's caps back as they were after a test changes them."""
    before = ffmpeg.limits()
    yield
    ffmpeg.configure(before)


# --- frame rate and frame count --------------------------------------------------------------------------


def test_a_1000_fps_file_is_refused_at_probe(tmp_path: Path) -> None:
    path = test_video(tmp_path / "fast.mp4", seconds=2, size="16x16", rate=1000)
    assert path.stat().st_size < 600_000  # small on disk: the cost is in the frames
    with pytest.raises(MediaError, match=r"^The video has 1000 frames a second; at most 120 are accepted\. "):
        probe(path)
    assert probe(path, Limits(max_fps=1000)).fps == 1000  # the cap is a setting


def test_total_frames_are_capped(tmp_path: Path) -> None:
    path = test_video(tmp_path / "clip.mp4", seconds=3, size="32x32", rate=25, audio=False)
    assert probe(path, Limits(max_frames=75)).frames == 75
    with pytest.raises(MediaError, match="^The video has 75 frames; at most 74 are accepted"):
        probe(path, Limits(max_frames=74))


def test_output_rates_are_sane() -> None:
    assert output_rate(25) == 25 and output_rate(60) == 60 and output_rate(30000 / 1001) == 30000 / 1001
    assert output_rate(120) == 60 and output_rate(100) == 50 and round(output_rate(120000 / 1001), 3) == 59.94
    assert round(output_rate(1000), 2) == 58.82 and output_rate(0) == 25 and output_rate(float("nan")) == 25


@pytest.mark.slow
def test_a_120_fps_source_is_rendered_and_proxied_at_60(tmp_path: Path) -> None:
    path = test_video(tmp_path / "sport.mp4", seconds=2, size="192x108", rate=120)
    info = probe(path)
    assert info.fps == 120
    plan = build_plan(Source(path, info.width, info.height, info.fps, info.has_audio, info.duration),
                      start=0.5, end=1.5, presets=["landscape"])
    [out] = render(plan, tmp_path / "render")
    stream = ffprobe_json(out.path, "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=r_frame_rate,avg_frame_rate,nb_read_frames")["streams"][0]
    assert (stream["r_frame_rate"], stream["avg_frame_rate"], stream["nb_read_frames"]) == ("60/1", "60/1", "60")
    assert abs(out.duration - 1.0) < 0.05

    proxy = make_proxy(path, info, tmp_path / "proxy")
    stream = ffprobe_json(proxy.video, "-select_streams", "v:0", "-show_entries", "stream=avg_frame_rate")["streams"][0]
    assert stream["avg_frame_rate"] == "60/1"


@pytest.mark.slow
def test_a_1000_fps_recording_already_stored_still_renders_at_under_60(tmp_path: Path) -> None:
    """Recordings added before the cap: the render writes a sane rate instead of 1000 frames a second."""
    path = test_video(tmp_path / "fast.mp4", seconds=2, size="16x16", rate=1000)
    info = probe(path, Limits(max_fps=1000))
    plan = build_plan(Source(path, info.width, info.height, info.fps, info.has_audio, info.duration),
                      start=0.5, end=1.5, presets=["landscape"])
    [out] = render(plan, tmp_path / "render")
    stream = ffprobe_json(out.path, "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames")["streams"][0]
    assert int(stream["nb_read_frames"]) in (58, 59, 60)  # 1000/17 = 58.8 a second, not 1000
    assert abs(out.duration - 1.0) < 0.05


# --- picture size on every frame ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def growing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = growing_mkv(tmp_path_factory.mktemp("hostile") / "growing.mkv")
    sizes = [(f["width"], f["height"]) for f in ffprobe_json(path, "-show_entries", "frame=width,height")["frames"]]
    assert sizes == [(320, 240), (320, 240), (10000, 10000), (10000, 10000)]  # really changes mid-stream
    return path


PROXY_OF = """
    from pathlib import Path
    from clipper import ffmpeg
    from clipper.errors import ClipperError
    from clipper.probe import probe
    from clipper.proxy import make_proxy
    ffmpeg.configure(ffmpeg.ChildLimits(**{limits}))
    source = Path({path!r})
    info = probe(source)
    result = {{"probed": [info.width, info.height]}}
    try:
        make_proxy(source, info, Path({work!r}))
        result["error"] = ""
    except ClipperError as exc:
        result["error"], result["expected"], result["kind"] = exc.message, exc.expected, type(exc).__name__
"""


@pytest.mark.slow
def test_a_picture_that_grows_mid_file_stops_the_proxy_at_that_frame(growing: Path, tmp_path: Path) -> None:
    got = in_fresh_process(PROXY_OF.format(limits={}, path=str(growing), work=str(tmp_path / "out")))
    assert got["probed"] == [320, 240]  # the first look passes: only decoding finds the big frames
    assert got["error"] == ("The video has pictures of 10000×10000 in it, larger than the largest Clipper accepts "
                            "(7680×4320). Export it again at one size no larger than that.")
    assert got["expected"] and got["kind"] == "OverLimit"
    # Side by side, the same proxy with the guard lifted decodes the big frames (and quietly succeeds).
    # Measured here: 57 MB guarded, 206 MB unguarded for this MJPEG file; 188 MB and 1055 MB for an
    # H.264 one with five 10000×10000 frames (the 954 MB), too slow to encode in a test.
    lifted = {"memory_mb": 0, "max_width": 20000, "max_height": 20000}
    unguarded = in_fresh_process(PROXY_OF.format(limits=lifted, path=str(growing), work=str(tmp_path / "lifted")))
    assert unguarded["error"] == ""
    assert got["children_maxrss_mb"] < 150 < unguarded["children_maxrss_mb"], (got, unguarded)


@pytest.mark.slow
def test_a_render_across_the_growing_frames_fails_with_the_same_message(growing: Path, tmp_path: Path) -> None:
    plan = build_plan(Source(growing, 320, 240, 2.0, False, 2.0), start=0.0, end=2.0, presets=["landscape"])
    with pytest.raises(OverLimit, match=r"^The video has pictures of 10000×10000 in it"):
        render(plan, tmp_path / "render")


@pytest.mark.slow
def test_the_memory_cap_stops_what_the_picture_limit_lets_through(growing: Path, tmp_path: Path) -> None:
    """With the picture limit raised past 10000×10000, the address-space cap is what stops the decode."""
    limits = {"memory_mb": 400, "max_width": 20000, "max_height": 20000}
    got = in_fresh_process(PROXY_OF.format(limits=limits, path=str(growing), work=str(tmp_path / "out")))
    assert got["error"] == ("Reading this file needed more memory than Clipper allows (400 MiB for ffmpeg); "
                            "it may be damaged or made to overload the server.")
    assert got["expected"] and got["kind"] == "OverLimit"
    assert got["children_maxrss_mb"] < 400, got


@pytest.mark.slow
def test_the_memory_cap_applies_to_runs_on_our_own_files_too(growing: Path, caps: None) -> None:
    """``trusted`` runs skip the input checks and the picture guard, never the memory cap."""
    decode = ["-i", str(growing), "-f", "null", "-"]
    ffmpeg.configure(ffmpeg.ChildLimits(memory_mb=400))
    with pytest.raises(OverLimit, match=r"needed more memory than Clipper allows \(400 MiB for ffmpeg\)"):
        ffmpeg.run(decode, trusted=True, timeout=120)
    ffmpeg.configure(ffmpeg.ChildLimits(memory_mb=0))  # 0: no cap (the operator's choice)
    ffmpeg.run(decode, trusted=True, timeout=120)


def test_every_untrusted_input_gets_the_picture_guard() -> None:
    args = ffmpeg._guard_pixels(["-f", "matroska", "-i", "a.mkv", "-max_pixels", "5", "-i", "b.m4a", "out.mp4"], 99)
    assert args == ["-f", "matroska", "-max_pixels", "99", "-i", "a.mkv", "-max_pixels", "5", "-i", "b.m4a", "out.mp4"]


# --- streams, and probing's own memory and time --------------------------------------------------------------


def test_hundreds_of_thousands_of_tracks_are_refused_before_ffprobe_reads_them(tmp_path: Path) -> None:
    path = many_tracks_mkv(tmp_path / "tracks.mkv", 200_000)  # the report's file had 10^6
    got = in_fresh_process(f"""
        from clipper.errors import MediaError
        from clipper.probe import probe
        try:
            probe({str(path)!r})
            result = {{"error": ""}}
        except MediaError as exc:
            result = {{"error": exc.message}}
    """)
    assert got["error"] == "The file has more than 16 streams (tracks or attachments); at most 16 are accepted."
    assert got["children_maxrss_mb"] == 0  # refused from its header: ffprobe never ran (uncapped: ~450 MB here)


def test_a_few_extra_tracks_are_refused_with_the_same_message(tmp_path: Path) -> None:
    path = many_tracks_mkv(tmp_path / "tracks.mkv", 17)
    with pytest.raises(MediaError, match=r"^The file has more than 16 streams"):
        probe(path)


def test_ffprobe_runs_under_its_own_memory_cap(tmp_path: Path) -> None:
    """Whatever gets past the header checks, ffprobe cannot take more than probe_memory_mb."""
    path = many_tracks_mkv(tmp_path / "tracks.mkv", 300_000)  # about 700 MB for ffprobe uncapped
    got = in_fresh_process(f"""
        from clipper import ffmpeg
        from clipper.errors import FFmpegError
        ffmpeg.configure(ffmpeg.ChildLimits(probe_memory_mb=400))
        try:
            ffmpeg.ffprobe({str(path)!r}, input_format="matroska")
            result = {{"failed": False}}
        except FFmpegError as exc:
            result = {{"failed": True}}
    """)
    assert got["failed"]
    assert got["children_maxrss_mb"] < 400, got


def test_probing_has_a_time_limit(tmp_path: Path) -> None:
    path = test_video(tmp_path / "clip.mp4", seconds=1, size="32x32")
    with pytest.raises(MediaError, match="^Reading the file took too long; it may be damaged."):
        probe(path, Limits(timeout=0.001))


def test_a_failing_run_without_memory_trouble_is_not_called_a_memory_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 100)
    with pytest.raises(FFmpegError) as raised:
        ffmpeg.run(ffmpeg.compile_graph(ffmpeg.hardened_input(bad, f="matroska").output(str(tmp_path / "o.mp4"))))
    assert not isinstance(raised.value, OverLimit)


def test_the_memory_cap_is_sized_to_the_machine_unless_set() -> None:
    from clipper.limits import child_limits
    from clipper.settings import Settings

    assert ffmpeg.auto_memory_mb(16) == 4608 and ffmpeg.auto_memory_mb(2) == 2368
    assert child_limits(Settings()).memory_mb == ffmpeg.auto_memory_mb() == ffmpeg.ChildLimits().memory_mb
    assert child_limits(Settings(ffmpeg_memory_mb=5000)).memory_mb == 5000
    assert child_limits(Settings(ffmpeg_memory_mb=-1)).memory_mb == 0  # no cap
    assert child_limits(Settings(probe_memory_mb=0)).probe_memory_mb == 0
    assert child_limits(Settings(max_width=100, max_height=50)).max_pixels == 5000
