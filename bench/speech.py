"""Speech performance (issue 3): the two Whisper backends side by side, and memory on long recordings.

- **Backends**: faster-whisper (CTranslate2, int8) against openai-whisper (PyTorch, fp32) on the *same*
  weights — the bundled tiny.en, converted for openai-whisper by ``clipper.speech.convert`` — on the same
  16 kHz PCM: ``../shared/data/jfk.flac`` and about 105 s of espeak-ng speech with a known text. Beam
  size 5, word timestamps on, 2 threads, VAD off (so both decode exactly the same audio). Each run is a
  fresh process, so its peak RSS is that backend's alone; runs alternate between the backends and the
  median of several is reported, with the real-time factor (seconds of work per second of audio) and the
  word error rate against the known text.
- **Memory in recording length**: the real transcribe job (``workers.jobs.transcribe``: hardened ffmpeg
  decode to a PCM file, VAD, chunked recognition, each chunk stored in SQLite) on a 10-minute and a
  3-hour recording built from the same 10-minute unit (one minute of speech, nine of low noise), each in
  a fresh process; peak RSS of that process (ffmpeg runs as its own, streaming, process).

Generated media is cached under ``var/bench/speech``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "speech"
JFK = ROOT.parent / "shared" / "data" / "jfk.flac"
JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")
THREADS = 2
BACKENDS = ("faster-whisper", "openai-whisper")
SPEECH_REPEAT = 2  # the briefing read twice: about 105 s of generated speech


def run(quick: bool = False) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    runs = 2 if quick else 3
    clips = _clips()
    lines = ["## speech", "",
             f"tiny.en (bundled, CTranslate2; converted once for openai-whisper), beam size 5, word timestamps, "
             f"{THREADS} threads, VAD off; each run a fresh process; medians of {runs} runs, the backends "
             "alternating.", ""]
    lines += ["| audio | backend | RTF | × real time | peak RSS MB | model load s | WER |", "|---|---|---|---|---|---|---|"]
    ratios = []
    for name, (pcm, text) in clips.items():
        seconds = pcm.stat().st_size / 32000
        results: dict[str, list[dict]] = {b: [] for b in BACKENDS}
        for _ in range(runs):
            for backend in BACKENDS:
                results[backend].append(_child("backend", backend, str(pcm)))
        medians = {}
        for backend in BACKENDS:
            took = statistics.median(r["seconds"] for r in results[backend])
            rss = statistics.median(r["maxrss_mb"] for r in results[backend])
            load = statistics.median(r["load_seconds"] for r in results[backend])
            wer = _wer(text, results[backend][-1]["text"])
            medians[backend] = took
            lines.append(f"| {name} ({seconds:.0f} s) | {backend} | {took / seconds:.3f} | {seconds / took:.1f} | "
                         f"{rss:.0f} | {load:.1f} | {wer:.1%} |")
        ratios.append((name, medians["openai-whisper"] / medians["faster-whisper"]))
    lines.append("")
    for name, ratio in ratios:
        lines.append(f"faster-whisper int8 is **{ratio:.2f}×** the speed of openai-whisper fp32 on {name} "
                     f"(target ≥ 3.5×: {'met' if ratio >= 3.5 else 'NOT met'}).")
    lines += ["", *_memory(quick)]
    from bench import speech_words

    lines += ["", speech_words.run(quick)]
    return "\n".join(lines) + "\n"


def _clips() -> dict[str, tuple[Path, str]]:
    from clipper.speech import decode_audio

    clips: dict[str, tuple[Path, str]] = {}
    if JFK.exists():
        pcm = CACHE / "jfk.pcm"
        if not pcm.exists():
            decode_audio(JFK, pcm)
        clips["jfk.flac"] = (pcm, JFK_TEXT)
    wav, text = _briefing(SPEECH_REPEAT)
    pcm = CACHE / f"{wav.stem}.pcm"
    if not pcm.exists():
        decode_audio(wav, pcm)
    clips["generated speech"] = (pcm, text)
    return clips


def _briefing(repeat: int = 1) -> tuple[Path, str]:
    """The espeak-ng briefing (about 52 s) read ``repeat`` times, and its text."""
    from tests.speech_data import BRIEFING, long_speech

    name = "briefing" if repeat == 1 else f"briefing-{repeat}x"
    wav = CACHE / f"{name}.wav"
    text = " ".join(BRIEFING * repeat)
    if not wav.exists():
        long_speech(CACHE / f"{name}.tmp.wav", BRIEFING, repeat=repeat)
        (CACHE / f"{name}.tmp.wav").rename(wav)
    return wav, text


def _memory(quick: bool) -> list[str]:
    unit = _unit()
    long_minutes = 60 if quick else 180
    sources = {"10 minutes": unit, f"{long_minutes // 60} hours": _repeat(unit, long_minutes // 10)}
    rows, peaks = [], {}
    for name, source in sources.items():
        r = _child("job", str(source))
        peaks[name] = r["maxrss_mb"]
        rows.append(f"| {name} | {r['duration']:.0f} | {r['seconds']:.0f} | {r['words']} | {r['chunks']} | "
                    f"{r['maxrss_mb']:.0f} |")
    short, long = peaks["10 minutes"], peaks[f"{long_minutes // 60} hours"]
    return [
        "Memory in recording length: the transcribe job (decode → VAD → 600 s chunks → words stored per chunk) "
        "on recordings made of one 10-minute unit (60 s of espeak-ng speech, then 9 minutes of low noise), "
        "AAC in MP4; faster-whisper int8, 2 threads, VAD on.",
        "",
        "| recording | seconds of audio | job took s | words stored | chunks | peak RSS MB |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Peak memory, {long_minutes // 60} hours against 10 minutes: **{long / short:.2f}×** "
        f"(target ≤ 1.2×: {'met' if long / short <= 1.2 else 'NOT met'}).",
    ]


def _unit() -> Path:
    """Ten minutes: the briefing (about a minute of speech), then low noise."""
    out = CACHE / "unit-10min.m4a"
    if not out.exists():
        wav, _ = _briefing()
        tmp = CACHE / "unit.tmp.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-f", "lavfi", "-i",
                        "anoisesrc=color=pink:amplitude=0.004:sample_rate=16000:duration=600",
                        "-filter_complex", "[0:a]aresample=16000,apad=whole_dur=600[s];[s][1:a]amix=inputs=2:normalize=0,"
                        "atrim=end=600[out]", "-map", "[out]", "-c:a", "aac", "-b:a", "64k", str(tmp)], check=True)
        tmp.rename(out)
    return out


def _repeat(unit: Path, times: int) -> Path:
    out = CACHE / f"repeat-{times}x.m4a"
    if not out.exists():
        listing = CACHE / f"repeat-{times}.txt"
        listing.write_text("".join(f"file '{unit}'\n" for _ in range(times)))
        tmp = CACHE / f"repeat-{times}.tmp.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                        "-c", "copy", str(tmp)], check=True)
        tmp.rename(out)
    return out


def _wer(reference: str, hypothesis: str) -> float:
    from clipper.speech.accuracy import word_error_rate

    return word_error_rate(reference, hypothesis)


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.speech", *args], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_child(backend: str, pcm: str) -> dict:
    from clipper.speech import SpeechOptions, load_backend

    options = SpeechOptions(backend=backend, threads=THREADS, vad=False, beam_size=5,
                            cache_dir=str(CACHE / "models"))
    engine = load_backend(options)
    started = time.perf_counter()
    engine.model()  # type: ignore[attr-defined]
    load = time.perf_counter() - started
    started = time.perf_counter()
    transcript = engine.transcribe(pcm)
    took = time.perf_counter() - started
    return {"seconds": took, "load_seconds": load, "maxrss_mb": _maxrss_mb(), "text": transcript.text}


def _job_child(source: str) -> dict:
    from sqlalchemy import func, select

    from clipper.db import upgrade
    from clipper.models import Recording, Word
    from clipper.settings import Settings
    from workers import context
    from workers.jobs.transcribe import transcribe_recording

    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        url = f"sqlite:///{tmp}/clipper.db"
        upgrade(url)
        settings = Settings.from_env({}, data_dir=Path(tmp), database_url=url, secret_key="bench",
                                     whisper_threads=THREADS)
        ctx = context.configure(settings, "")
        key = "recordings/1/original.m4a"
        ctx.store.put_file(key, source, content_type="audio/mp4")
        duration = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                          "csv=p=0", source], capture_output=True, text=True, check=True).stdout)
        with ctx.sessions() as session:
            recording = Recording(title="bench", status="queued", duration=duration, original_key=key)
            session.add(recording)
            session.commit()
            rid = recording.id
        started = time.perf_counter()
        status = transcribe_recording(rid)
        took = time.perf_counter() - started
        with ctx.sessions() as session:
            recording = session.get(Recording, rid)
            assert recording is not None
            words = session.scalar(select(func.count(Word.id)).where(Word.recording_id == rid))
            chunks = recording.transcribed_chunks
        if status != "ready":
            raise RuntimeError(f"transcription ended {status}")
        return {"seconds": took, "duration": duration, "words": words, "chunks": chunks, "maxrss_mb": _maxrss_mb()}


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    kind, *rest = sys.argv[1:]
    result = _backend_child(*rest) if kind == "backend" else _job_child(*rest)
    print(json.dumps(result))
