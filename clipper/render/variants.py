"""``render(plan, workdir)``: captions per aspect, the shared audio, every variant, posters and sidecars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clipper import captions, ffmpeg
from clipper.probe import probe
from clipper.render.graph import picture_bottom, sizes, video_graph
from clipper.render.loudness import Measured, finished_audio
from clipper.render.plan import RenderPlan


@dataclass(frozen=True)
class Rendered:
    preset: str
    path: Path
    poster: Path
    width: int
    height: int
    duration: float
    loudness: Measured | None = None  # the finished audio's EBU R128 figures (None: no sound in the source)


@dataclass(frozen=True)
class Sidecars:
    srt: Path
    vtt: Path


def write_ass(plan: RenderPlan, workdir: Path) -> dict[str, Path]:
    """One ASS file per aspect: the same words, grouped and placed for that frame."""
    paths = {}
    overlay = captions.Overlay(
        strap_name=plan.speaker if plan.branding.strap else "", strap_role=plan.speaker_role,
        strap_seconds=plan.branding.strap_seconds, imprint=plan.branding.imprint,
        end_card_title=plan.title, end_card_from=plan.duration if plan.end_card_seconds else None,
    )
    for name, (width, height) in sizes(plan).items():
        groups = captions.group(plan.words, captions.LAYOUTS[name])
        text = captions.ass_document(groups, width=width, height=height, aspect=name,
                                     style=plan.branding.caption_style, duration=plan.total, overlay=overlay,
                                     picture_bottom=picture_bottom(plan, name, (width, height)))
        path = workdir / f"{name}.ass"
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def write_sidecars(plan: RenderPlan, workdir: Path) -> Sidecars:
    groups = captions.group(plan.words, captions.LAYOUTS["landscape"])
    srt, vtt = workdir / "captions.srt", workdir / "captions.vtt"
    srt.write_text(captions.srt(groups), encoding="utf-8")
    vtt.write_text(captions.vtt(groups), encoding="utf-8")
    return Sidecars(srt, vtt)


def render(plan: RenderPlan, workdir: Path, progress: Callable[[float], None] | None = None) -> list[Rendered]:
    """Every variant the plan asks for, as finished MP4s (and posters) in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    ass = write_ass(plan, workdir)
    audio = workdir / "audio.m4a"
    loudness = finished_audio(plan, audio, workdir)
    if progress:
        progress(0.1)
    outputs = {name: workdir / f"{name}.mp4" for name in plan.presets}
    video = video_graph(plan, audio, ass, outputs)
    scaled = (lambda f: progress(0.1 + 0.85 * f)) if progress else None
    ffmpeg.run(video, timeout=plan.timeout, progress=scaled, duration=plan.total)
    results = []
    for name, path in outputs.items():
        info = probe(path, trusted=True)
        poster = workdir / f"{name}.jpg"
        ffmpeg.run(["-ss", f"{min(1.0, plan.duration / 2):.3f}", "-i", str(path), "-frames:v", "1", "-q:v", "3",
                    "-y", str(poster)], trusted=True, timeout=120)
        results.append(Rendered(name, path, poster, info.width, info.height, info.duration, loudness))
    if progress:
        progress(1.0)
    return results
