"""Probing untrusted files: what is accepted, and what is refused with a message a volunteer understands."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.errors import FFmpegError, MediaError
from clipper.probe import Limits, probe, sniff
from tests.media import test_video

HLS = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
CONCAT = b"ffconcat version 1.0\nfile /etc/passwd\n"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("probe-media")
    test_video(d / "clip.mp4", seconds=2)
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-f", "lavfi", "-i",
            "sine=duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-movflags", "+faststart", str(d / "faststart.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", str(d / "audio.m4a"))
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=2", str(d / "audio.wav"))
    _ffmpeg("-i", str(d / "clip.mp4"), "-c", "copy", str(d / "clip.mkv"))
    # Ten hours in 1.5 kB: ten 16×16 frames an hour apart.
    _ffmpeg("-f", "lavfi", "-i", "color=c=black:s=16x16:r=1/3600:d=36000", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", str(d / "ten-hours.mp4"))
    # A one-frame 16×16 raw video whose sample entry then claims a huge picture (no 16k frame is encoded).
    _ffmpeg("-f", "lavfi", "-i", "color=c=black:s=16x16:r=1:d=1", "-c:v", "rawvideo", "-pix_fmt", "rgb24",
            str(d / "raw.mov"))
    for name, (w, h) in {"16k.mov": (16384, 16384), "16000x9000.mov": (16000, 9000)}.items():
        data = bytearray((d / "raw.mov").read_bytes())
        entry = data.find(b"raw ", data.find(b"stsd"))
        data[entry + 28: entry + 32] = struct.pack(">HH", w, h)  # width, height of the visual sample entry
        (d / name).write_bytes(bytes(data))
    return d


def _cut(src: Path, dest: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def test_video_is_probed(media: Path) -> None:
    info = probe(media / "clip.mp4")
    assert (info.has_video, info.has_audio, info.width, info.height) == (True, True, 320, 240)
    assert info.container == "mp4" and info.demuxer == "mov"
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_container_comes_from_content_not_name(media: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "interview.mp4"
    disguised.write_bytes((media / "clip.mkv").read_bytes())
    info = probe(disguised)
    assert info.container == "mkv" and info.demuxer == "matroska"


@pytest.mark.parametrize("name", ["audio.m4a", "audio.wav"])
def test_audio_only_is_accepted(media: Path, name: str) -> None:
    info = probe(media / name)
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaError, match="empty"):
        probe(empty)


@pytest.mark.parametrize("content, words", [(HLS, "playlist"), (CONCAT, "concat script")])
def test_reference_formats_disguised_as_mp4_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "news.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=words) as caught:
        probe(path)
    assert "does not follow links" in caught.value.message


@pytest.mark.parametrize("content", [HLS, CONCAT])
def test_ffmpeg_itself_refuses_them_too(tmp_path: Path, content: bytes) -> None:
    """The second line of defence: ffmpeg 5.1 honours -format_whitelist in ffprobe and in the ffmpeg CLI."""
    path = tmp_path / "news.mp4"
    path.write_bytes(content)
    with pytest.raises(FFmpegError) as caught:
        ffmpeg.ffprobe(path)
    assert "not on whitelist" in caught.value.detail
    with pytest.raises(FFmpegError) as caught:
        ffmpeg.run(ffmpeg.hardened_input(path).output(str(tmp_path / "out.wav")))
    assert "not on whitelist" in caught.value.detail
    assert not (tmp_path / "out.wav").exists() or (tmp_path / "out.wav").stat().st_size == 0


def test_text_file_renamed_mp4_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "speech.mp4"
    path.write_text("Transcript of the minister's speech.\nGood evening.\n")
    with pytest.raises(MediaError, match="not a video or audio file"):
        probe(path)


def test_truncated_mp4_with_index_at_end_is_refused(media: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="truncated"):
        probe(_cut(media / "clip.mp4", tmp_path / "cut.mp4", 0.6))


def test_truncated_faststart_mp4_is_refused(media: Path, tmp_path: Path) -> None:
    cut = _cut(media / "faststart.mp4", tmp_path / "cut.mp4", 0.5)
    # ffprobe alone is fooled: the index at the front still promises the full length.
    assert float(ffmpeg.ffprobe(cut)["format"]["duration"]) == pytest.approx(4.0, abs=0.1)
    with pytest.raises(MediaError, match="truncated"):
        probe(cut)


def test_truncated_matroska_is_refused(media: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="truncated"):
        probe(_cut(media / "clip.mkv", tmp_path / "cut.mkv", 0.5))


def test_ten_hour_tiny_file_is_refused(media: Path) -> None:
    assert (media / "ten-hours.mp4").stat().st_size < 10_000
    with pytest.raises(MediaError, match=r"10:00:00 long; the limit is 6:00:00"):
        probe(media / "ten-hours.mp4")


def test_huge_picture_is_refused(media: Path) -> None:
    with pytest.raises(MediaError, match="16000×9000; the largest accepted is 7680×4320"):
        probe(media / "16000x9000.mov")
    with pytest.raises(MediaError, match="picture size could not be read, or it is far too large"):
        probe(media / "16k.mov")


def test_limits_are_configurable(media: Path) -> None:
    with pytest.raises(MediaError, match="320×240; the largest accepted is 160×120"):
        probe(media / "clip.mp4", Limits(max_width=160, max_height=120))
    with pytest.raises(MediaError, match="2 streams; at most 1"):
        probe(media / "clip.mp4", Limits(max_streams=1))


def test_sniff_names_only_allowed_demuxers(media: Path) -> None:
    for name in ("clip.mp4", "clip.mkv", "audio.wav", "audio.m4a"):
        assert sniff(media / name) in ffmpeg.ALLOWED_DEMUXERS
