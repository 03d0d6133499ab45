"""Speech, issue 12: every word (WER side by side), speaker turns (DER and their cost), per-job overhead.

Part of ``python -m bench speech`` (``bench.speech.run`` appends this section); ``python -m bench.speech_words``
prints it alone.

- **Words**: the default pipeline (faster-whisper, VAD spans + guard) against openai-whisper on the same
  tiny.en weights (whole file, no VAD), a single whole-file faster-whisper pass without VAD, and
  faster-whisper's own ``vad_filter=True`` (what Clipper did before) — on ``../shared/data/jfk.flac``,
  about 105 s of espeak-ng speech, and a reading with long pauses inside sentences.
- **Speakers**: a generated two-voice conversation (espeak-ng ``en-us`` and ``en-us+f3``, 16 turns, known
  boundaries) through the pipeline, then ``diarize``; DER at 10 ms frames with the best label mapping,
  no collar and a 0.25 s collar; diarization time as a fraction of transcription time.
- **Per-job overhead**: the transcribe job on a 3 s file: in a fresh process (what every RQ work horse
  paid: the model loaded again) against in a process that has the model loaded (the SpeechWorker);
  "overhead" is the job's time less the recognition itself.
"""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.speech import CACHE, JFK, JFK_TEXT, ROOT, THREADS, _briefing

RUNS = 3


def run(quick: bool = False) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    lines = ["### Every word, speaker turns, per-job overhead (issue 12)", ""]
    lines += _words()
    lines += ["", *_speakers()]
    lines += ["", *_overhead(2 if quick else RUNS)]
    return "\n".join(lines) + "\n"


def _clips() -> dict[str, tuple[Path, str]]:
    from clipper.speech import decode_audio
    from tests.clipper.test_speech_words import PAUSED, _join

    clips: dict[str, tuple[Path, str]] = {}
    if JFK.exists():
        pcm = CACHE / "jfk.pcm"
        if not pcm.exists():
            decode_audio(JFK, pcm)
        clips["jfk.flac"] = (pcm, JFK_TEXT)
    wav, text = _briefing(2)
    pcm = CACHE / f"{wav.stem}.pcm"
    if not pcm.exists():
        decode_audio(wav, pcm)
    clips["generated speech"] = (pcm, text)
    paused = CACHE / "paused.pcm"
    if not paused.exists():
        decode_audio(_join(CACHE / "paused.wav", PAUSED), paused)
    clips["long pauses"] = (paused, " ".join(t for t, _ in PAUSED))
    return clips


def _words() -> list[str]:
    from clipper.speech import SpeechOptions, load_backend
    from clipper.speech.accuracy import word_error_rate
    from clipper.speech.audio import read_pcm

    fw = load_backend(SpeechOptions(threads=THREADS))
    fw_whole = load_backend(SpeechOptions(threads=THREADS, vad=False))
    ow = load_backend(SpeechOptions(backend="openai-whisper", threads=THREADS, vad=False,
                                    cache_dir=str(CACHE / "models")))
    rows, totals = [], {k: [0.0, 0] for k in ("default", "openai", "whole", "old")}
    for name, (pcm, text) in _clips().items():
        audio = read_pcm(pcm)
        default = fw.transcribe_array(audio)
        hyps = {"default": default.text, "openai": ow.transcribe_array(audio).text,
                "whole": fw_whole.transcribe_array(audio).text, "old": _old_vad(fw, audio)}
        n = len(text.split())
        wers = {k: word_error_rate(text, h) for k, h in hyps.items()}
        for k, w in wers.items():
            totals[k][0] += w * n
            totals[k][1] += n
        rows.append(f"| {name} ({len(audio) / 16000:.0f} s) | {wers['default']:.1%} | {wers['openai']:.1%} | "
                    f"{wers['whole']:.1%} | {wers['old']:.1%} | {default.rechecks} |")
    overall = {k: t[0] / t[1] for k, t in totals.items()}
    return [
        f"Word error rate, tiny.en, beam 5, {THREADS} threads (the same weights for both backends).", "",
        "| audio | default pipeline (VAD spans + guard) | openai-whisper, whole file | faster-whisper whole file, "
        "no VAD | faster-whisper `vad_filter=True` (before) | guard fired |",
        "|---|---|---|---|---|---|", *rows,
        f"| **all (word-weighted)** | **{overall['default']:.1%}** | {overall['openai']:.1%} | {overall['whole']:.1%} | "
        f"{overall['old']:.1%} | |", "",
        f"Default pipeline against openai-whisper: {overall['default']:.1%} vs {overall['openai']:.1%} "
        f"({'no worse: met' if overall['default'] <= overall['openai'] + 1e-9 else 'worse: NOT met'}); against one "
        f"whole-file pass without VAD: {overall['default']:.1%} vs {overall['whole']:.1%}.",
    ]


def _old_vad(backend, audio) -> str:  # type: ignore[no-untyped-def]
    segments, _ = backend.model().transcribe(audio, language="en", beam_size=5, word_timestamps=True,
                                             vad_filter=True, condition_on_previous_text=False)
    return " ".join(s.text.strip() for s in segments)


def _speakers() -> list[str]:
    from clipper.speech import SpeechOptions, decode_audio, load_backend
    from clipper.speech.audio import read_pcm
    from clipper.speech.speakers import diarize
    from clipper.speech.voices import embed_many
    from tests.speech_data import BRIEFING, conversation

    wav = CACHE / "conversation.wav"
    turns_file = CACHE / "conversation.json"
    if not turns_file.exists():
        _, truth = conversation(wav, BRIEFING + BRIEFING[:6])
        turns_file.write_text(json.dumps(truth))
    truth = [tuple(t) for t in json.loads(turns_file.read_text())]
    pcm = CACHE / "conversation.pcm"
    if not pcm.exists():
        decode_audio(wav, pcm)
    audio = read_pcm(pcm)
    backend = load_backend(SpeechOptions(threads=THREADS))
    embed_many([audio[:16000]])  # the encoder loaded, as in a worker
    took_asr, took_dia, ders = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        transcript = backend.transcribe_array(audio)
        took_asr.append(time.perf_counter() - started)
        started = time.perf_counter()
        segments, voices = diarize(audio, transcript.segments, 0.0, [])
        took_dia.append(time.perf_counter() - started)
        hyp = [(s.start, s.end, s.speaker) for s in segments]
        ders.append((_der(truth, hyp, 0.0), _der(truth, hyp, 0.25), len([v for v in voices if v.label])))
    asr, dia = statistics.median(took_asr), statistics.median(took_dia)
    der0, der25, found = ders[-1]
    return [
        f"Speaker turns: a generated two-voice conversation ({len(audio) / 16000:.0f} s, {len(truth)} turns, "
        "espeak-ng en-us / en-us+f3, 0.7 s between turns); Resemblyzer's encoder plus pitch, average-linkage "
        f"clustering; medians of {RUNS} runs.", "",
        "| speakers found (truth 2) | DER, no collar | DER, 0.25 s collar | transcription s | diarization s | "
        "diarization / transcription |", "|---|---|---|---|---|---|",
        f"| {found} | {der0:.1%} | {der25:.1%} | {asr:.1f} | {dia:.1f} | {dia / asr:.1%} |", "",
        f"DER {der0:.1%} (target < 10%: {'met' if der0 < 0.10 else 'NOT met'}); diarization adds {dia / asr:.0%} "
        f"of transcription time (target < 25%: {'met' if dia / asr < 0.25 else 'NOT met'}).",
    ]


def _der(truth: list[tuple], hyp: list[tuple], collar: float) -> float:
    """Diarization error rate at 10 ms frames: missed + false alarm + confusion over truth speech, with the
    label mapping that suits the hypothesis best; frames within ``collar`` of a true boundary not scored."""
    end = max(max(t[1] for t in truth), max(h[1] for h in hyp)) + 1
    n = int(end * 100)
    ref, out, scored = [""] * n, [""] * n, [True] * n
    for s, e, who in truth:
        for i in range(int(s * 100), min(n, int(e * 100))):
            ref[i] = who
        for edge in (s, e):
            for i in range(max(0, int((edge - collar) * 100)), min(n, int((edge + collar) * 100))):
                scored[i] = False
    for s, e, who in hyp:
        for i in range(int(s * 100), min(n, int(e * 100))):
            out[i] = who
    refs, hyps = sorted({r for r in ref if r}), sorted({h for h in out if h})
    best = None
    for perm in itertools.permutations(hyps, min(len(hyps), len(refs))):
        mapping = dict(zip(perm, refs, strict=False))
        err = sum(1 for i in range(n) if scored[i] and (ref[i] or out[i])
                  and (not ref[i] or not out[i] or mapping.get(out[i]) != ref[i]))
        best = err if best is None else min(best, err)
    total = sum(1 for i in range(n) if scored[i] and ref[i])
    return (best or 0) / max(total, 1)


def _overhead(runs: int) -> list[str]:
    from tests.media import speech_wav

    wav = CACHE / "three-seconds.wav"
    if not wav.exists():
        speech_wav("The minister said the hospital will open.", wav)
    cold = [_child("cold", str(wav)) for _ in range(runs)]
    warm = _child("warm", str(wav), str(runs))
    cold_job = statistics.median(r["job"] for r in cold)
    cold_asr = statistics.median(r["asr"] for r in cold)
    warm_job = statistics.median(warm["jobs"])
    warm_asr = warm["asr"]
    before, after = cold_job - cold_asr, warm_job - warm_asr
    return [
        f"Per-job overhead: the transcribe job on a {cold[0]['seconds']:.1f} s file (SQLite, local store, "
        f"speakers on), medians of {runs}; recognition alone (model loaded) {warm_asr:.2f} s.", "",
        "| job | job s | overhead s (job − recognition) |", "|---|---|---|",
        f"| fresh process, model loaded per job (before: RQ's work horse) | {cold_job:.2f} | {before:.2f} |",
        f"| model loaded once in the worker (now: SpeechWorker) | {warm_job:.2f} | {after:.2f} |", "",
        f"Per-job overhead {before:.1f} s → **{after:.2f} s** (target < 1 s: {'met' if after < 1 else 'NOT met'}).",
    ]


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.speech_words", *args], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _job_child(kind: str, source: str, runs: str = "1") -> dict:
    """Time the job in this process: ``cold`` once with nothing loaded, ``warm`` ``runs`` times after a
    preload (as ``workers.worker.preload_speech`` does)."""
    from clipper.db import upgrade
    from clipper.models import Recording
    from clipper.settings import Settings
    from clipper.speech import SpeechOptions, load_backend
    from clipper.speech.audio import read_pcm
    from workers import context
    from workers.jobs.transcribe import transcribe_recording
    from workers.worker import preload_speech

    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        url = f"sqlite:///{tmp}/clipper.db"
        upgrade(url)
        settings = Settings.from_env({}, data_dir=Path(tmp), database_url=url, secret_key="bench",
                                     whisper_threads=THREADS)
        ctx = context.configure(settings, "")
        seconds = (Path(source).stat().st_size - 44) / 44100

        def job() -> float:
            key = "recordings/x/original.wav"
            ctx.store.put_file(key, source, content_type="audio/wav")
            with ctx.sessions() as session:
                rec = Recording(title="bench", status="queued", duration=seconds, original_key=key)
                session.add(rec)
                session.commit()
                rid = rec.id
            started = time.perf_counter()
            assert transcribe_recording(rid) == "ready"
            return time.perf_counter() - started

        if kind == "cold":
            took = job()
            pcm = Path(tmp) / "a.pcm"
            from clipper.speech import decode_audio

            audio = read_pcm(decode_audio(source, pcm))
            started = time.perf_counter()
            load_backend(SpeechOptions(threads=THREADS)).transcribe_array(audio)
            return {"job": took, "asr": time.perf_counter() - started, "seconds": seconds}
        preload_speech(settings)
        job()  # the first job also warms caches the preload does not touch (SQLAlchemy, ffmpeg)
        jobs = [job() for _ in range(int(runs))]
        from clipper.speech import decode_audio

        audio = read_pcm(decode_audio(source, Path(tmp) / "a.pcm"))
        asr = []
        for _ in range(int(runs)):
            started = time.perf_counter()
            load_backend(SpeechOptions(threads=THREADS)).transcribe_array(audio)
            asr.append(time.perf_counter() - started)
        return {"jobs": jobs, "asr": statistics.median(asr), "seconds": seconds}


if __name__ == "__main__":
    import os

    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    if len(sys.argv) > 1:
        print(json.dumps(_job_child(*sys.argv[1:])))
    else:
        print(run())
