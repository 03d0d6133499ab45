"""Rendering: every output probed, cut frame-exact, loud enough for phones, and no user text in argv."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.captions import CaptionStyle
from clipper.errors import RenderError
from clipper.probe import probe
from clipper.render import BrandingOptions, Source, build_plan, render, rough_preview
from clipper.render.graph import video_graph
from clipper.render.loudness import audio_graph
from clipper.render.variants import write_ass

FPS = 25
INJECTIONS = ("'),drawtext=textfile=/etc/passwd", "%{pts}", "\\N", "{\\fs300}", "back\\slash", "a:b;c",
              "new\nline", "🎉", "مرحبا بالعالم")


def barcode_video(dest: Path, *, seconds: float = 5, size: str = "320x240", keyint: int = 50) -> Path:
    """Each frame shows its own number as 8 black/white bars (bit i in the i-th 40-pixel column)."""
    w, h = (int(v) for v in size.split("x"))
    bar = w // 8
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
        f"color=c=black:s={size}:r={FPS}:d={seconds},format=gray,"
        f"geq=lum='if(mod(floor(N/pow(2\\,floor(X/{bar})))\\,2)\\,235\\,16)'",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=48000",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", str(keyint), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(dest),
    ], check=True)
    return dest


def frame_numbers(path: Path, width: int, height: int) -> list[int]:
    """Read every frame's bar code back (sampled in the middle rows, away from captions and straps)."""
    done = ffmpeg.run(["-i", str(path), "-vf", "format=gray", "-f", "rawvideo", "pipe:1"], trusted=True,
                      capture_stdout=True)
    raw, size, bar = done.stdout, width * height, width // 8
    numbers = []
    for offset in range(0, len(raw) - size + 1, size):
        row = raw[offset + (height // 2) * width: offset + (height // 2 + 1) * width]
        numbers.append(sum(1 << i for i in range(8) if row[i * bar + bar // 2] > 128))
    return numbers


def top_level_boxes(path: Path) -> list[str]:
    boxes, data = [], path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        boxes.append(kind.decode("latin-1"))
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        if size < 8:
            break
        pos += size
    return boxes


def integrated_loudness(path: Path) -> float:
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a",
                          "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


def source_of(path: Path) -> Source:
    info = probe(path)
    return Source(path, info.width, info.height, info.fps, info.has_audio, info.duration)


def words_at(texts: tuple[str, ...], start: float, step: float = 0.3) -> list[dict[str, object]]:
    return [{"start": start + i * step, "end": start + i * step + step * 0.8, "text": t} for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def barcode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return barcode_video(tmp_path_factory.mktemp("media") / "barcode.mp4")


@pytest.fixture(scope="module")
def all_three(barcode: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One render of all three presets with every hostile string as words, strap and imprint."""
    branding = BrandingOptions(imprint="Promoted by A:B {\\b1} on behalf of %{pts}", imprint_required=True)
    plan = build_plan(source_of(barcode), start=1.2, end=3.0, presets=["landscape", "square", "vertical"],
                      words=words_at(INJECTIONS[:5], 1.25), speaker=INJECTIONS[0], speaker_role=INJECTIONS[3],
                      title=INJECTIONS[1], branding=branding)
    work = tmp_path_factory.mktemp("render")
    return plan, {r.preset: r for r in render(plan, work)}


@pytest.mark.slow
def test_every_output_is_a_file_every_platform_accepts(all_three) -> None:  # type: ignore[no-untyped-def]
    plan, outputs = all_three
    assert {name: (r.width, r.height) for name, r in outputs.items()} == {
        "landscape": (320, 240), "square": (1080, 1080), "vertical": (1080, 1920)}
    for r in outputs.values():
        data = ffmpeg.ffprobe(r.path, trusted=True)
        video = next(s for s in data["streams"] if s["codec_type"] == "video")
        audio = next(s for s in data["streams"] if s["codec_type"] == "audio")
        assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
        assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "48000")
        boxes = top_level_boxes(r.path)
        assert boxes.index("moov") < boxes.index("mdat"), boxes
        assert abs(float(data["format"]["duration"]) - (plan.end - plan.start)) <= 1 / FPS + 1e-3
        assert r.poster.stat().st_size > 1000


@pytest.mark.slow
def test_the_cut_is_frame_exact(all_three) -> None:  # type: ignore[no-untyped-def]
    plan, outputs = all_three
    numbers = frame_numbers(outputs["landscape"].path, 320, 240)
    assert numbers[0] == 30  # 1.2 s at 25 fps
    assert numbers[-1] == 74  # the last frame before 3.0 s
    assert numbers == list(range(30, 75))


@pytest.mark.slow
def test_loudness_is_normalised_for_phones(all_three) -> None:  # type: ignore[no-untyped-def]
    _, outputs = all_three
    for r in outputs.values():
        assert abs(integrated_loudness(r.path) - (-14.0)) <= 1.0


def test_no_user_text_reaches_ffmpeg_arguments(barcode: Path, tmp_path: Path) -> None:
    branding = BrandingOptions(imprint=" ".join(INJECTIONS), caption_style=CaptionStyle(uppercase=True),
                               end_card=True)
    plan = build_plan(source_of(barcode), start=0.5, end=2.5, presets=["landscape", "square", "vertical"],
                      words=words_at(INJECTIONS, 0.6, 0.2), speaker=" ".join(INJECTIONS), speaker_role="r:o'le",
                      title=" ".join(INJECTIONS), branding=branding)
    ass = write_ass(plan, tmp_path)
    outputs = {n: tmp_path / f"{n}.mp4" for n in plan.presets}
    argv = ffmpeg.compile_graph(video_graph(plan, tmp_path / "a.m4a", ass, outputs))
    argv += ffmpeg.compile_graph(audio_graph(plan, tmp_path / "a.m4a")[0])
    joined = "\n".join(argv)
    for text in INJECTIONS + ("r:o'le", "passwd", "%{", "fs300", "🎉", "مرحبا"):
        assert text not in joined, text
    # ...and the ASS files carry them as plain text: no override block or escape of the user's survives.
    for path in ass.values():
        events = [line for line in path.read_text().splitlines() if line.startswith("Dialogue:")]
        body = "\n".join(events)
        assert "{\\fs300}" not in body and "{\\b1}" not in body
        assert all("\n" not in e for e in events)


def test_user_text_renders_literally(barcode: Path, tmp_path: Path) -> None:
    """The hostile strings go all the way through ffmpeg and come out as a normal video."""
    plan = build_plan(source_of(barcode), start=0.0, end=1.0, presets=["landscape"],
                      words=words_at(INJECTIONS, 0.0, 0.1), speaker=INJECTIONS[0], title=INJECTIONS[1])
    [out] = render(plan, tmp_path)
    assert (out.width, out.height) == (320, 240)
    assert abs(out.duration - 1.0) <= 1 / FPS + 1e-3


def test_a_clip_past_a_presets_limit_is_refused(barcode: Path) -> None:
    with pytest.raises(RenderError, match="vertical renders can be at most 2 s"):
        build_plan(source_of(barcode), start=0, end=3, presets=["landscape", "vertical"],
                   max_seconds={"vertical": 2})


def test_missing_imprint_is_refused_when_required(barcode: Path) -> None:
    with pytest.raises(RenderError, match="promoter imprint"):
        build_plan(source_of(barcode), start=0, end=1, presets=["landscape"],
                   branding=BrandingOptions(imprint_required=True, imprint="  "))


def test_missing_logo_is_refused(barcode: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="logo file is missing"):
        build_plan(source_of(barcode), start=0, end=1, presets=["landscape"],
                   branding=BrandingOptions(logo_path=tmp_path / "gone.png"))


@pytest.mark.slow
def test_crop_logo_and_end_card(barcode: Path, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x32", "-frames:v", "1",
                    str(logo)], check=True)
    branding = BrandingOptions(logo_path=logo, logo_position="top-left", logo_opacity=1.0, end_card=True,
                               end_card_seconds=1.0, imprint="Promoted by Jo on behalf of the Party")
    plan = build_plan(source_of(barcode), start=1.0, end=2.0, presets=["vertical"], crop_x=0.0,
                      branding=branding)
    [out] = render(plan, tmp_path / "out")
    assert (out.width, out.height) == (1080, 1920)
    assert abs(out.duration - 2.0) <= 1 / FPS + 1e-3  # the clip plus a one-second end card
    first = ffmpeg.run(["-i", str(out.path), "-frames:v", "1", "-vf", "format=rgb24", "-f", "rawvideo", "pipe:1"],
                       trusted=True, capture_stdout=True).stdout
    margin, top = round(1080 * 0.04), round(1920 * 0.07)
    px = ((top + 5) * 1080 + margin + 5) * 3
    assert first[px] > 200 and first[px + 1] < 60  # the red logo, top left
    # crop_x=0: the left edge of the source fills the frame (bit 0 column of frame 25 is white)
    mid = ((960 * 1080) + 20) * 3
    assert first[mid] > 128


def test_rough_preview_is_a_stream_copy(barcode: Path, tmp_path: Path) -> None:
    out = rough_preview(barcode, 2.4, 4.0, tmp_path / "p.mp4")
    info = probe(out, trusted=True)
    assert info.video_codec == "h264" and info.has_audio
    assert 1.5 <= info.duration <= 2.5 + 0.1  # from the keyframe at 2.0 s


def test_plan_snaps_to_whole_frames(barcode: Path) -> None:
    plan = build_plan(replace(source_of(barcode)), start=1.211, end=2.989, presets=["landscape"])
    assert (round(plan.start * FPS, 6), round(plan.end * FPS, 6)) == (30, 75)


def test_no_user_text_in_any_ffmpeg_call_of_a_render_or_style_preview(barcode: Path, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Every argv the one runner executes (it logs each) for a whole render and a style still."""
    from clipper.render.preview import style_still

    hostile = " ".join(INJECTIONS)
    branding = BrandingOptions(imprint=hostile, caption_style=CaptionStyle(font=INJECTIONS[0], uppercase=True))
    plan = build_plan(source_of(barcode), start=0.0, end=0.6, presets=["landscape"],
                      words=words_at(INJECTIONS, 0.0, 0.06), speaker=hostile, speaker_role=INJECTIONS[2],
                      title=hostile, branding=branding)
    with caplog.at_level("INFO", logger="clipper.ffmpeg"):
        render(plan, tmp_path / "out")
        png = style_still(branding, "vertical", tmp_path)
    assert png.startswith(b"\x89PNG")
    commands = [r.getMessage() for r in caplog.records if r.getMessage().startswith("running ")]
    assert len(commands) >= 4  # audio, video, poster, still (and the probes)
    for text in INJECTIONS + ("passwd", "%{", "fs300", "🎉", "مرحبا"):
        assert all(text not in c for c in commands), text


def test_audio_stays_in_sync_with_the_picture(tmp_path: Path) -> None:
    """A beep that starts with frame 50 of the source starts with the frame showing 50 in the output."""
    src = tmp_path / "beep.mp4"
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
        f"color=c=black:s=320x240:r={FPS}:d=4,format=gray,"
        "geq=lum='if(mod(floor(N/pow(2\\,floor(X/40)))\\,2)\\,235\\,16)'",
        "-f", "lavfi", "-i", "aevalsrc='if(gte(t\\,2)\\,0.5*sin(2*PI*440*t)\\,0)':s=48000:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", str(src),
    ], check=True)
    plan = build_plan(source_of(src), start=1.2, end=3.0, presets=["landscape"])
    [out] = render(plan, tmp_path / "out")
    frame = frame_numbers(out.path, 320, 240).index(50)
    pcm = ffmpeg.run(["-i", str(out.path), "-map", "0:a", "-ac", "1", "-f", "s16le", "-ar", "48000", "pipe:1"],
                     trusted=True, capture_stdout=True).stdout
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    loudest = max(abs(s) for s in samples)
    onset = next(i for i, s in enumerate(samples) if abs(s) > loudest * 0.2) / 48000
    assert abs(onset - frame / FPS) <= 1 / FPS, (onset, frame / FPS)
