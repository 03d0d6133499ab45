"""Speech with a known text, for checking recognition: espeak-ng reads it, ffmpeg pads and joins it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.media import SENTENCES, speech_wav

JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")

# Plain words espeak-ng says clearly and Whisper spells one way (no numbers, no names).
BRIEFING = (
    "Good evening and welcome to the programme.",
    "The minister said the new hospital will open next spring.",
    "Our plan will build more homes and cut waiting lists for families across the country.",
    "We will not raise taxes on working people during this parliament.",
    "The committee heard evidence from teachers, nurses and police officers.",
    "Critics say the budget does too little for young people who want to buy a home.",
    "The government promised cleaner rivers and cheaper energy bills by the end of the year.",
    "Local councils will get more money to repair roads and keep libraries open.",
    "The opposition leader called the decision a broken promise to the people of the north.",
    "Thank you for watching, and good night.",
)


def long_speech(dest: Path, sentences: tuple[str, ...], *, repeat: int = 1, gap: float = 0.7,
                lead_silence: float = 0.0) -> tuple[Path, str]:
    """A 16 kHz WAV of ``sentences`` read ``repeat`` times with ``gap`` s pauses; returns (path, text)."""
    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    parts = [speech_wav(s, work / f"s{i}.wav") for i, s in enumerate(sentences)]
    lines = []
    silence = _silence(work / "gap.wav", gap)
    if lead_silence:
        lines.append(f"file '{_silence(work / 'lead.wav', lead_silence)}'")
    for _ in range(repeat):
        for p in parts:
            lines += [f"file '{p}'", f"file '{silence}'"]
    return _joined(lines, work, dest), " ".join(list(sentences) * repeat)


VOICES = ("en-us", "en-us+f3")  # espeak-ng's default voice and a high one (an octave up)


def conversation(dest: Path, sentences: tuple[str, ...], *, voices: tuple[str, ...] = VOICES,
                 gap: float = 0.7) -> tuple[Path, list[tuple[float, float, str]]]:
    """A 16 kHz WAV of ``sentences`` read by ``voices`` in turn, ``gap`` s apart; returns (path, turns)
    with each turn's (start, end, voice) in seconds: the truth for speaker turns."""
    import wave

    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    silence = _silence(work / "gap.wav", gap)
    lines, turns, at = [], [], 0.0
    for i, text in enumerate(sentences):
        voice = voices[i % len(voices)]
        part = speech_wav(text, work / f"s{i}.wav", voice=voice)
        with wave.open(str(part)) as w:
            seconds = w.getnframes() / w.getframerate()
        turns.append((round(at, 3), round(at + seconds, 3), voice))
        at += seconds + gap
        lines += [f"file '{part}'", f"file '{silence}'"]
    return _joined(lines, work, dest), turns


def _silence(dest: Path, seconds: float) -> Path:
    """``seconds`` of silence as espeak-ng writes speech (22.05 kHz 16-bit mono), to join between sentences."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={seconds}",
                    "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest


def _joined(lines: list[str], work: Path, dest: Path) -> Path:
    """The files of a concat ``lines`` list joined into a 16 kHz mono WAV at ``dest``."""
    listing = work / "list.txt"
    listing.write_text("\n".join(lines) + "\n")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest


def crosstalk(dest: Path, sentences: tuple[str, ...], *, interrupt: int, overlap: float,
              voices: tuple[str, ...] = VOICES, gap: float = 0.7) -> tuple[Path, list[tuple[float, float, str]]]:
    """Like ``conversation``, but sentence ``interrupt`` starts ``overlap`` s before the one before it ends:
    two people talking over each other (mixed with ffmpeg's amix). Returns (path, turns)."""
    import wave

    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    parts, turns, at = [], [], 0.0
    for i, text in enumerate(sentences):
        voice = voices[i % len(voices)]
        part = speech_wav(text, work / f"s{i}.wav", voice=voice)
        with wave.open(str(part)) as w:
            seconds = w.getnframes() / w.getframerate()
        if i == interrupt:
            at -= gap + overlap
        parts.append((part, at))
        turns.append((round(at, 3), round(at + seconds, 3), voice))
        at += seconds + gap
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for part, _ in parts:
        cmd += ["-i", str(part)]
    delays = "".join(f"[{i}:a]adelay={round(at * 1000)}:all=1[d{i}];" for i, (_, at) in enumerate(parts))
    inputs = "".join(f"[d{i}]" for i in range(len(parts)))
    subprocess.run([*cmd, "-filter_complex", f"{delays}{inputs}amix=inputs={len(parts)}:normalize=0[out]",
                    "-map", "[out]", "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest, turns


# Short and long sentences for one voice reading at length, beside the briefing.
REMARKS = (
    "Yes.",
    "No, not at all.",
    "Well, let me be clear about this.",
    "Thank you very much for having me on the programme this evening, it is always a pleasure to be here.",
    "That is simply not true, and the figures show it.",
    "We have listened to people in every town and village, and they want change.",
)


def monologue(dest: Path, seconds: float, *, voice: str = "en-us") -> tuple[Path, str]:
    """A 16 kHz WAV of about ``seconds`` of one voice reading: sentences short and long, a little higher or
    lower and faster or slower each time (espeak-ng's -p and -s), with pauses from 0.4 to 2.5 s."""
    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    pool = BRIEFING + REMARKS
    pitches, speeds, gaps = (50, 40, 60, 45, 55, 35), (150, 140, 165, 155), (0.6, 1.5, 0.4, 2.5, 0.8)
    lines, texts, at, i = [], [], 0.0, 0
    while at < seconds:
        text = pool[i % len(pool)]
        part = speech_wav(text, work / f"s{i}.wav", voice=voice, speed=speeds[i % len(speeds)],
                          pitch=pitches[i % len(pitches)])
        gap = gaps[i % len(gaps)]
        silence = work / f"gap{gap}.wav"
        if not silence.exists():
            _silence(silence, gap)
        lines += [f"file '{part}'", f"file '{silence}'"]
        texts.append(text)
        at += (part.stat().st_size - 44) / 44100 + gap  # espeak-ng writes 22.05 kHz 16-bit mono
        i += 1
    return _joined(lines, work, dest), " ".join(texts)


def music(dest: Path, seconds: float) -> Path:
    """A 16 kHz WAV of ``seconds`` of music and no words: a tune on a bright, buzzy instrument (six
    harmonics, with vibrato) over a bass note and a kick drum every half second, in quiet pink noise."""
    note = "220*pow(2,(2*floor(mod(t*2,8))+lt(mod(t*2,8),3))/12)"  # a step each half second, 8 to a bar
    tune = "+".join(f"sin(2*PI*{k}*{note}*t)/{k}" for k in range(1, 7))
    band = (f"0.25*({tune})*(0.7+0.3*sin(2*PI*6*t))+0.5*sin(2*PI*60*t)*exp(-20*mod(t,0.5))"
            f"+0.15*sin(2*PI*110*t)")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc='{band}':s=16000:d={seconds}",
                    "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.03:sample_rate=16000:duration={seconds}",
                    "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[out]", "-map", "[out]",
                    "-ac", "1", "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest


__all__ = ["BRIEFING", "JFK_TEXT", "REMARKS", "SENTENCES", "VOICES", "conversation", "crosstalk", "long_speech",
           "monologue", "music"]
