"""Render performance (issue 5): three captioned variants our way against the naive way, side by side.

- **Naive**: three separate ffmpeg runs (one per variant), each decoding the source, blurring the
  background at full resolution, normalising and encoding its own audio. **Ours**: ``clipper.render``
  — one decode, the blur on a 320-line copy shared by square and vertical, one audio encode copied
  into every output. Same libx264 preset and CRF, same ASS caption files, so quality is comparable;
  the SSIM of the foreground (the source picture, away from captions) against the naive output says so.
- Time from "render" to the first variant in (local) object storage and to all three.
- Seeking: the same 10 s clip at the start and 2 hours into a 3-hour source (built cheaply by
  stream-copying a one-minute segment; 10 s GOPs like broadcast captures).
- Save-to-downloadable rough preview of a 60 s clip (stream copy + store).

Sources are generated under ``var/bench/render`` and kept between runs.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import ffmpeg as ffmpeg_python

from clipper import ffmpeg
from clipper.errors import FFmpegError
from clipper.probe import probe
from clipper.render import Encoder, Source, build_plan, render, rough_preview
from clipper.render.graph import sizes
from clipper.render.variants import write_ass
from storage import StoreConfig, open_store

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "render"
PRESETS = ("landscape", "square", "vertical")
ENCODER = Encoder(preset="veryfast", crf=21)
PREVIEW_CLIP = 60.0  # the rough-preview figure is for a 60 s clip


def run(quick: bool = False) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    # 20 s clips keep the full run (three medians of naive and ours, on 2 cores) near seven minutes;
    # the ratio does not depend on the clip's length (both sides scale with it).
    clip = 10.0 if quick else 20.0
    repeats = 1 if quick else 3
    src = _source_1080p(CACHE / f"src-1080p-{int(PREVIEW_CLIP) + 10}s.mp4", PREVIEW_CLIP + 10)
    source = _source(src)
    words = [{"start": 2.0 + i * 0.35, "end": 2.3 + i * 0.35, "text": w}
             for i, w in enumerate(("we will build the homes this country needs and cut waiting lists " * 40).split())
             if 2.0 + i * 0.35 < clip + 2.0]
    plan = build_plan(source, start=2.0, end=2.0 + clip, presets=PRESETS, words=words, speaker="Jo Bloggs",
                      speaker_role="MP", encoder=ENCODER, max_seconds={p: 3600 for p in PRESETS})
    naive_times, ours_times, first_times, all_times = [], [], [], []
    naive_parts: dict[str, list[float]] = {p: [] for p in PRESETS}
    audio_times, video_times = [], []
    ssim: dict[str, float] = {}
    for i in range(repeats):
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            work = Path(tmp)
            started = time.monotonic()
            naive = _naive(plan, work / "naive", naive_parts)
            naive_times.append(time.monotonic() - started)
            store = open_store(StoreConfig(url=str(work / "objects"), secret_key="bench"))
            marks: list[tuple[float, float]] = []
            started = time.monotonic()
            ours = render(plan, work / "ours", progress=lambda f, m=marks, t0=started: m.append((f, time.monotonic() - t0)))
            rendered = time.monotonic() - started
            first = None
            for r in ours:
                store.put_file(f"clips/1/{r.preset}.mp4", r.path, content_type="video/mp4")
                first = first or time.monotonic() - started
            total = time.monotonic() - started
            ours_times.append(total)
            first_times.append(first or total)
            all_times.append(total)
            audio_done = next((t for f, t in marks if f >= 0.1), 0.0)
            video_done = max((t for f, t in marks if f < 1.0), default=rendered)
            audio_times.append(audio_done)
            video_times.append(video_done - audio_done)
            if i == 0:
                ssim = {r.preset: _foreground_ssim(plan, r.path, naive[r.preset]) for r in ours}
    naive_t, ours_t = statistics.median(naive_times), statistics.median(ours_times)
    seek = _seek_flatness(quick)
    preview = _preview_time(src, PREVIEW_CLIP, 3 if quick else 5)
    med = statistics.median
    parts = ", ".join(f"{p} {med(naive_parts[p]):.1f} s" for p in PRESETS)
    lines = [
        "## render",
        "",
        f"1080p30 source (testsrc2 + tone), {clip:.0f} s clip, three captioned variants (landscape 1920×1080, "
        f"square 1080×1080, vertical 1080×1920), libx264 `{ENCODER.preset}` CRF {ENCODER.crf}; medians of {repeats} "
        f"run(s), side by side; {os.cpu_count()} CPU cores.",
        "",
        "| | time | × clip length |",
        "|---|---|---|",
        f"| naive: three runs, full-resolution blur, audio encoded per output | {naive_t:.1f} s | {naive_t / clip:.2f}× |",
        f"| ours: one decode, small shared blur, one shared audio encode (incl. storing) | {ours_t:.1f} s | "
        f"{ours_t / clip:.2f}× |",
        f"| **speed-up** | **{naive_t / ours_t:.2f}×** | |",
        "",
        f"Where the time goes. Naive, per run: {parts}. Ours: shared audio (measure, one gain, AAC encode, check) "
        f"{med(audio_times):.1f} s, the one video run (decode, compose, captions, three x264 encodes) "
        f"{med(video_times):.1f} s, the rest (probing, posters, storing) {ours_t - med(audio_times) - med(video_times):.1f} s.",
        "",
        f"Render → first variant in storage: {med(first_times):.1f} s; all three: "
        f"{med(all_times):.1f} s (one ffmpeg run writes all three, so they arrive together).",
        "",
        "Foreground SSIM, ours against naive (1.0 = identical): "
        + ", ".join(f"{k} {v:.4f}" for k, v in ssim.items()) + ".",
        "",
        f"Seeking, 10 s landscape clip from a 3-hour 360p source: at 0:00:10 {seek[0]:.2f} s, at 2:00:00 "
        f"{seek[1]:.2f} s (ratio {seek[1] / seek[0]:.2f}; flat means within 10%).",
        "",
        f"Save → downloadable rough preview of a {PREVIEW_CLIP:.0f} s clip (stream copy + store): {preview:.2f} s (median).",
    ]
    return "\n".join(lines) + "\n"


def _source_1080p(dest: Path, seconds: float) -> Path:
    if not dest.exists():
        ffmpeg.run(["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}:sample_rate=48000",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", "60", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-shortest", "-f", "mp4", "-y", str(_partial(dest))], trusted=True)
        _partial(dest).replace(dest)
    return dest


def _partial(dest: Path) -> Path:
    """Sources are written beside their final name and renamed when complete: an interrupted (or
    concurrent) bench run must never leave a half-written file that the next run takes for a source."""
    return dest.with_name(dest.name + ".partial")


def _source(path: Path) -> Source:
    info = probe(path, trusted=True)
    return Source(path, info.width, info.height, info.fps, info.has_audio, info.duration)


def _naive(plan, work: Path, times: dict[str, list[float]]) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """One ffmpeg run per variant, each with its own decode, full-resolution blur and audio encode."""
    work.mkdir(parents=True)
    ass = write_ass(plan, work)
    wanted = sizes(plan)
    outs = {}
    for name in plan.presets:
        width, height = wanted[name]
        src = ffmpeg.hardened_input(plan.source.path, ss=f"{plan.start:.6f}", t=f"{plan.duration:.6f}")
        v = src.video
        if name == "landscape":
            frame = v.filter("scale", width, height)
        else:
            parts = v.filter_multi_output("split", 2)
            a, b = parts[0], parts[1]
            bg = (a.filter("scale", width, height, force_original_aspect_ratio="increase")
                  .filter("crop", width, height).filter("boxblur", luma_radius=40, luma_power=2))
            fg = b.filter("scale", width, height, force_original_aspect_ratio="decrease", force_divisible_by=2)
            frame = ffmpeg_python.overlay(bg, fg, x="(W-w)/2", y="(H-h)/2")
        frame = frame.filter("setsar", 1).filter("ass", filename=str(ass[name])).filter("format", "yuv420p")
        audio = src.audio.filter("loudnorm", i=-14, tp=-1, lra=11).filter("aresample", 48000)
        outs[name] = work / f"{name}.mp4"
        out = ffmpeg_python.output(frame, audio, str(outs[name]), vcodec="libx264", preset=ENCODER.preset,
                                   crf=ENCODER.crf, acodec="aac", ac=2, ar=48000, movflags="+faststart",
                                   **{"profile:v": "high", "b:a": ENCODER.audio_bitrate})
        started = time.monotonic()
        try:
            ffmpeg.run(out)
        except FFmpegError as exc:  # say which variant and what ffmpeg said, not just its last line
            raise FFmpegError(f"naive {name}: {exc.message}\n{exc.detail}", expected=False) from exc
        times[name].append(time.monotonic() - started)
    return outs


def _foreground_ssim(plan, ours: Path, naive: Path) -> float:  # type: ignore[no-untyped-def]
    width, height = sizes(plan)[_name(ours)]
    s = plan.source
    scale = min(width / s.width, height / s.height)
    fw, fh = int(s.width * scale) // 2 * 2, int(s.height * scale) // 2 * 2
    crop = f"crop={fw}:{fh * 6 // 10}:{(width - fw) // 2}:{(height - fh) // 2}"  # the picture's upper part
    done = ffmpeg.run(["-i", str(ours), "-i", str(naive), "-filter_complex",
                       f"[0:v]{crop}[a];[1:v]{crop}[b];[a][b]ssim=stats_file=-", "-f", "null", "-"],
                      trusted=True, capture_stdout=True)
    values = [float(m) for m in re.findall(rb"All:([0-9.]+)", done.stdout)]
    return statistics.mean(values) if values else float("nan")


def _name(path: Path) -> str:
    return path.stem


def _seek_flatness(quick: bool) -> tuple[float, float]:
    long = CACHE / "src-3h-360p.mp4"
    if not long.exists():
        segment = CACHE / "segment-60s.mp4"
        segment.unlink(missing_ok=True)
        ffmpeg.run(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=60", "-f", "lavfi",
                    "-i", "sine=frequency=220:duration=60:sample_rate=48000", "-c:v", "libx264", "-preset",
                    "ultrafast", "-crf", "30", "-g", "250", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                    "-shortest", "-f", "mp4", "-y", str(_partial(segment))], trusted=True)
        _partial(segment).replace(segment)
        listing = CACHE / "segments.txt"
        listing.write_text("".join(f"file '{segment.name}'\n" for _ in range(180)))
        ffmpeg.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-f", "mp4", "-y",
                    str(_partial(long))], trusted=True)
        _partial(long).replace(long)
    source = _source(long)
    times: dict[float, list[float]] = {10.0: [], 7200.0: []}
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        for _ in range(2 if quick else 5):
            for at in times:
                plan = build_plan(source, start=at, end=at + 10, presets=["landscape"], encoder=ENCODER)
                started = time.monotonic()
                render(plan, Path(tmp) / f"at-{int(at)}")
                times[at].append(time.monotonic() - started)
    return statistics.median(times[10.0]), statistics.median(times[7200.0])


def _preview_time(src: Path, clip: float, repeats: int) -> float:
    results = []
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        store = open_store(StoreConfig(url=str(Path(tmp) / "objects"), secret_key="bench"))
        for i in range(repeats):
            started = time.monotonic()
            out = rough_preview(src, 2.0, 2.0 + clip, Path(tmp) / f"p{i}.mp4")
            store.put_file("clips/1/landscape.mp4", out, content_type="video/mp4")
            results.append(time.monotonic() - started)
    return statistics.median(results)
