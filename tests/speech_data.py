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
    listing = work / "list.txt"
    lines = []
    silence = work / "gap.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={gap}",
                    "-c:a", "pcm_s16le", str(silence)], check=True)
    if lead_silence:
        lead = work / "lead.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"anullsrc=r=22050:cl=mono:d={lead_silence}", "-c:a", "pcm_s16le", str(lead)], check=True)
        lines.append(f"file '{lead}'")
    for _ in range(repeat):
        for p in parts:
            lines += [f"file '{p}'", f"file '{silence}'"]
    listing.write_text("\n".join(lines) + "\n")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest, " ".join(list(sentences) * repeat)


VOICES = ("en-us", "en-us+f3")  # espeak-ng's default voice and a high one (an octave up)


def conversation(dest: Path, sentences: tuple[str, ...], *, voices: tuple[str, ...] = VOICES,
                 gap: float = 0.7) -> tuple[Path, list[tuple[float, float, str]]]:
    """A 16 kHz WAV of ``sentences`` read by ``voices`` in turn, ``gap`` s apart; returns (path, turns)
    with each turn's (start, end, voice) in seconds: the truth for speaker turns."""
    import wave

    work = dest.parent / (dest.stem + "-parts")
    work.mkdir(parents=True, exist_ok=True)
    silence = work / "gap.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={gap}",
                    "-c:a", "pcm_s16le", str(silence)], check=True)
    lines, turns, at = [], [], 0.0
    for i, text in enumerate(sentences):
        voice = voices[i % len(voices)]
        part = speech_wav(text, work / f"s{i}.wav", voice=voice)
        with wave.open(str(part)) as w:
            seconds = w.getnframes() / w.getframerate()
        turns.append((round(at, 3), round(at + seconds, 3), voice))
        at += seconds + gap
        lines += [f"file '{part}'", f"file '{silence}'"]
    listing = work / "list.txt"
    listing.write_text("\n".join(lines) + "\n")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest, turns


__all__ = ["BRIEFING", "JFK_TEXT", "SENTENCES", "VOICES", "conversation", "long_speech"]
