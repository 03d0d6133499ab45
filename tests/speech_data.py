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


__all__ = ["BRIEFING", "JFK_TEXT", "SENTENCES", "long_speech"]
