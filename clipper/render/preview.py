"""Fast previews: a rough cut in seconds (stream copy on keyframes), and a still of the caption style."""

from __future__ import annotations

from pathlib import Path

import ffmpeg as ffmpeg_python

from clipper import captions, ffmpeg
from clipper.render.branding import BrandingOptions


def rough_preview(source: Path, start: float, end: float, dest: Path, *, timeout: float = 300.0) -> Path:
    """Cut from the keyframe at or before ``start``: playable and downloadable while the real render runs."""
    args = [*ffmpeg.HARDENED_INPUT, "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}", "-i", str(source),
            "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-map_metadata", "-1",
            "-avoid_negative_ts", "make_zero", "-movflags", "+faststart", "-f", "mp4", "-y", str(dest)]
    ffmpeg.run(args, timeout=timeout)
    return dest


ROUGH_VERTICAL = (540, 960)  # half the real render's size: a draft to watch and judge, made in seconds


def rough_vertical(source: Path, start: float, end: float, dest: Path, *, timeout: float = 300.0) -> Path:
    """A quick 9:16 cut (the middle of the picture, small, fast encoder settings, no captions): what an
    alert's drafted clip looks like on a phone, seconds after the words aired, while nobody has rendered it."""
    width, height = ROUGH_VERTICAL
    args = [*ffmpeg.HARDENED_INPUT, "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}", "-i", str(source),
            "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"crop='min(iw,ih*9/16)':ih,scale={width}:{height}:force_original_aspect_ratio=decrease,"
                   f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-g", "50",
            "-c:a", "aac", "-b:a", "96k", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4",
            "-y", str(dest)]
    ffmpeg.run(args, timeout=timeout)
    return dest


SAMPLE_WORDS = ("We", "will", "build", "the", "homes", "this", "country", "needs.")
STILL_SIZES = {"landscape": (640, 360), "square": (540, 540), "vertical": (360, 640)}


def style_still(options: BrandingOptions, aspect: str, workdir: Path, *, speaker: str = "Jo Bloggs",
                role: str = "MP for Anytown") -> bytes:
    """A PNG of a test picture with sample captions, strap, logo and imprint in the admin's style."""
    width, height = STILL_SIZES[aspect]
    words = [captions.Word(round(i * 0.3, 2), round(i * 0.3 + 0.25, 2), w) for i, w in enumerate(SAMPLE_WORDS)]
    groups = captions.group(words, captions.LAYOUTS[aspect])
    overlay = captions.Overlay(strap_name=speaker if options.strap else "", strap_role=role,
                               strap_seconds=60, imprint=options.imprint)
    ass = workdir / f"still-{aspect}.ass"
    ass.write_text(captions.ass_document(groups, width=width, height=height, aspect=aspect,
                                         style=options.caption_style, duration=60, overlay=overlay), encoding="utf-8")
    frame = ffmpeg_python.input(f"testsrc2=size={width}x{height}:rate=25", f="lavfi").video
    frame = frame.filter("trim", start=0.62, end=0.7)  # timestamps kept: the third word is lit
    # A grey picture, so the caption colours are judged on their own, not against the pattern's bars.
    frame = frame.filter("hue", s=0)
    if options.logo_path is not None:
        logo = ffmpeg_python.input(str(options.logo_path), f="png_pipe", protocol_whitelist="file",
                                   format_whitelist="png_pipe").video
        logo = logo.filter("format", "rgba").filter("colorchannelmixer", aa=f"{options.logo_opacity:.3f}")
        logo = logo.filter("scale", max(2, round(width * options.logo_scale)), -1)
        m = round(min(width, height) * 0.04)
        x, y = {"top-left": (f"{m}", f"{m}"), "top-right": (f"W-w-{m}", f"{m}"), "bottom-left": (f"{m}", f"H-h-{m}"),
                "bottom-right": (f"W-w-{m}", f"H-h-{m}")}[options.logo_position]
        frame = ffmpeg_python.overlay(frame, logo, x=x, y=y)
    frame = frame.filter("ass", filename=str(ass))
    out = ffmpeg_python.output(frame, "pipe:1", vframes=1, f="image2pipe", vcodec="png")
    return ffmpeg.run(ffmpeg.compile_graph(out), trusted=True, timeout=60, capture_stdout=True).stdout
