"""Audio for phones: one pass of EBU R128 loudness normalisation, short fades at the cuts, AAC 48 kHz.

The audio is encoded once per clip and copied into every variant (an AAC encode per output would
cost as much again for each).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_python

from clipper import ffmpeg

if TYPE_CHECKING:
    from clipper.render.plan import RenderPlan


@dataclass(frozen=True)
class Loudness:
    target_lufs: float = -14.0
    true_peak: float = -1.0
    lra: float = 11.0
    fade: float = 0.04  # seconds: a couple of frames, enough to avoid a click at the cut


def audio_graph(plan: RenderPlan, dest: Path) -> tuple[Any, bool]:
    """The ffmpeg-python graph that writes the clip's finished audio to ``dest``; and whether it is trusted."""
    total, dur, ld = plan.total, plan.duration, plan.loudness
    if plan.source.has_audio:
        src = ffmpeg.hardened_input(plan.source.path, ss=f"{plan.start:.6f}", t=f"{dur:.6f}")
        a = src.audio
        a = a.filter("loudnorm", i=ld.target_lufs, tp=ld.true_peak, lra=ld.lra)
        a = a.filter("aresample", 48000)
        fade = min(ld.fade, dur / 4)
        a = a.filter("afade", t="in", d=f"{fade:.3f}").filter("afade", t="out", st=f"{dur - fade:.4f}", d=f"{fade:.3f}")
        trusted = False
    else:
        # A silent track: some platforms refuse video without audio.
        a = ffmpeg_python.input("anullsrc=r=48000:cl=stereo", f="lavfi", t=f"{dur:.6f}").audio
        trusted = True
    a = a.filter("apad", whole_dur=f"{total:.6f}").filter("atrim", duration=f"{total:.6f}")
    out = ffmpeg_python.output(a, str(dest), acodec="aac", ac=2, ar=48000, **{"b:a": plan.encoder.audio_bitrate})
    return out, trusted
