"""Audio for phones: measure the clip's loudness, apply the gain it needs, check the result; AAC 48 kHz.

One-pass ``loudnorm`` (dynamic mode) needs about 3 s of audio to settle and misses the target on
speech (a 2 s clip came out at -33 LUFS, 10 s at -16). So we measure first (EBU R128 integrated
loudness and true peak of the trimmed clip's audio, in the output's channel layout), then apply one
linear gain — what ``loudnorm linear=true`` does — with a true-peak limiter (oversampled 4×) only when
the gain would push the peaks over the ceiling, and measure the encoded file to correct a limiter's or
the encoder's leftover error. Every pass reads only the clip's audio, never the video, so it stays cheap
(a fraction of a second for a minute of speech). The audio is encoded once per clip and copied into
every variant (an AAC encode per output would cost as much again for each).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_python

from clipper import ffmpeg

if TYPE_CHECKING:
    from clipper.render.plan import RenderPlan

log = logging.getLogger(__name__)
SILENT = -70.0  # what EBU R128 reports when nothing is above the absolute gate (silence, or under 0.4 s)
MAX_GAIN = 40.0  # dB: never lift a near-silent clip's hiss to speech level
TOLERANCE = 0.3  # LU: close enough to stop correcting (the promise is ±1)
ATTEMPTS = 3


@dataclass(frozen=True)
class Loudness:
    target_lufs: float = -14.0
    true_peak: float = -1.0
    lra: float = 11.0
    fade: float = 0.04  # seconds: a couple of frames, enough to avoid a click at the cut


@dataclass(frozen=True)
class Measured:
    """EBU R128 figures of some audio: integrated loudness (LUFS), true peak (dBTP), loudness range (LU)."""

    integrated: float
    true_peak: float
    lra: float = 0.0

    @property
    def silent(self) -> bool:
        return self.integrated <= SILENT + 0.01


@dataclass(frozen=True)
class Level:
    """What the apply pass does: a gain, and the ceiling of the limiter (None: no limiter needed)."""

    gain: float = 0.0
    ceiling: float | None = None


def _clip_audio(plan: RenderPlan) -> Any:
    """The clip's audio as it will be heard: trimmed, 48 kHz stereo (stereo measures 3 dB above mono)."""
    src = ffmpeg.hardened_input(plan.source.path, ss=f"{plan.start:.6f}", t=f"{plan.duration:.6f}")
    return src.audio.filter("aformat", sample_rates=48000, channel_layouts="stereo")


def measure_graph(stream: Any, report: Path) -> Any:
    """Append EBU R128 metering to ``stream``; its figures go to ``report`` (read by ``read_report``)."""
    metered = stream.filter("ebur128", metadata=1, peak="true").filter("ametadata", mode="print", file=str(report))
    return ffmpeg_python.output(metered, "-", f="null")


def read_report(report: Path) -> Measured:
    """The last frame's figures are the whole stream's (the meter keeps running totals)."""
    values: dict[str, float] = {}
    for line in report.read_text(encoding="ascii", errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key in ("lavfi.r128.I", "lavfi.r128.true_peak", "lavfi.r128.LRA"):
            try:
                values[key] = float(value)
            except ValueError:
                continue
    peak = values.get("lavfi.r128.true_peak", 0.0)
    return Measured(integrated=max(SILENT, values.get("lavfi.r128.I", SILENT)),
                    true_peak=20 * math.log10(peak) if peak > 0 else -math.inf,
                    lra=values.get("lavfi.r128.LRA", 0.0))


def measure_clip(plan: RenderPlan, workdir: Path) -> Measured:
    """First pass: the trimmed clip's audio from the source (audio stream only)."""
    report = workdir / "loudness-source.txt"
    ffmpeg.run(measure_graph(_clip_audio(plan), report), timeout=plan.timeout)
    return read_report(report)


def measure_file(path: Path, workdir: Path) -> Measured:
    """A file we wrote ourselves (the encoded clip audio)."""
    report = workdir / "loudness-output.txt"
    src = ffmpeg_python.input(str(path)).audio
    ffmpeg.run(measure_graph(src, report), trusted=True, timeout=600)
    return read_report(report)


def level_for(measured: Measured, target: Loudness) -> Level:
    """The gain that brings ``measured`` to the target, and a limiter when the peaks would pass the ceiling."""
    if measured.silent:
        gain = 0.0  # nothing to measure (silence): leave it as it is
    else:
        gain = min(MAX_GAIN, target.target_lufs - measured.integrated)
    needs_limiter = measured.true_peak + gain > target.true_peak - 0.3
    # The limiter works on a 4× oversampled signal, so its ceiling is close to a true-peak ceiling; the AAC
    # encoder can still add a little, which the check after encoding takes off.
    return Level(gain, target.true_peak - 0.5 if needs_limiter else None)


def _levelled(plan: RenderPlan, level: Level) -> Any:
    """The clip's audio with the gain, the limiter (when one is needed) and short fades at the cuts."""
    dur, ld = plan.duration, plan.loudness
    a = _clip_audio(plan)
    if level.gain:
        a = a.filter("volume", volume=f"{level.gain:.3f}dB", precision="double")
    if level.ceiling is not None:
        a = (a.filter("aresample", 192000)
             .filter("alimiter", limit=f"{min(1.0, max(0.0625, 10 ** (level.ceiling / 20))):.5f}",
                     attack=2, release=60, level=0, latency=1)
             .filter("aresample", 48000))
    fade = min(ld.fade, dur / 4)
    return a.filter("afade", t="in", d=f"{fade:.3f}").filter("afade", t="out", st=f"{dur - fade:.4f}", d=f"{fade:.3f}")


def audio_graph(plan: RenderPlan, dest: Path, level: Level | None = None) -> tuple[Any, bool]:
    """The ffmpeg-python graph that writes the clip's finished audio to ``dest``; and whether it is trusted."""
    total, dur = plan.total, plan.duration
    if plan.source.has_audio:
        a = _levelled(plan, level or Level())
        trusted = False
    else:
        # A silent track: some platforms refuse video without audio.
        a = ffmpeg_python.input("anullsrc=r=48000:cl=stereo", f="lavfi", t=f"{dur:.6f}").audio
        trusted = True
    a = a.filter("apad", whole_dur=f"{total:.6f}").filter("atrim", duration=f"{total:.6f}")
    out = ffmpeg_python.output(a, str(dest), acodec="aac", ac=2, ar=48000, **{"b:a": plan.encoder.audio_bitrate})
    return out, trusted


def finished_audio(plan: RenderPlan, dest: Path, workdir: Path) -> Measured | None:
    """Measure, apply, check: the clip's audio at the target loudness in ``dest``; the encoded file's figures.

    A plain gain lands where it is aimed, so one encode does. A limiter takes some loudness off; its level
    is settled first on the unencoded audio (cheap: the AAC encode is most of the cost), then encoded once.
    The encoded file is measured; an encoder overshoot past the ceiling is taken off with one more encode.
    Returns None for a source without sound (a silent track is written).
    """
    if not plan.source.has_audio:
        graph, trusted = audio_graph(plan, dest)
        ffmpeg.run(graph, trusted=trusted, timeout=plan.timeout)
        return None
    ld = plan.loudness
    source = measure_clip(plan, workdir)
    level = level_for(source, ld)
    if level.ceiling is not None and not source.silent:
        level = _settle(plan, level, source, workdir)
    out = source
    for attempt in range(ATTEMPTS):
        graph, _ = audio_graph(plan, dest, level)
        ffmpeg.run(graph, timeout=plan.timeout)
        out = measure_file(dest, workdir)
        log.info("loudness: source %.1f LUFS %.1f dBTP, gain %.2f dB, limiter %s -> %.1f LUFS %.1f dBTP",
                 source.integrated, source.true_peak, level.gain, level.ceiling, out.integrated, out.true_peak)
        over = out.true_peak - ld.true_peak
        if over <= 0 or attempt == ATTEMPTS - 1:
            break
        ceiling = min(level.ceiling if level.ceiling is not None else ld.true_peak - 0.5, ld.true_peak - 0.5)
        level = Level(level.gain, ceiling - over - 0.2)
    return out


def _settle(plan: RenderPlan, level: Level, source: Measured, workdir: Path) -> Level:
    """Behind a limiter: measure the levelled (unencoded) audio and correct the gain, at most twice."""
    ld = plan.loudness
    report = workdir / "loudness-trial.txt"
    best: tuple[float, Level] | None = None
    for _ in range(ATTEMPTS):
        ffmpeg.run(measure_graph(_levelled(plan, level), report), timeout=plan.timeout)
        trial = read_report(report)
        miss = abs(trial.integrated - ld.target_lufs)
        if best is None or miss < best[0]:
            best = (miss, level)
        if miss <= TOLERANCE:
            break
        level = _corrected(level, source, trial, ld)
    assert best is not None
    return best[1]


def _corrected(level: Level, source: Measured, out: Measured, ld: Loudness) -> Level:
    """The next try: add what the last one missed (behind a limiter only about half a gain change comes
    through as loudness, so step further)."""
    step = (ld.target_lufs - out.integrated) * (1.6 if level.ceiling is not None else 1.0)
    gain = level.gain if source.silent else min(MAX_GAIN, level.gain + step)
    ceiling = level.ceiling
    if source.true_peak + gain > ld.true_peak - 0.3:
        ceiling = min(ceiling if ceiling is not None else ld.true_peak - 0.5, ld.true_peak - 0.5)
    return Level(gain, ceiling)
