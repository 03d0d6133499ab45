"""Where the speech is: silero VAD's speech regions, grouped into spans of real, uncut audio.

faster-whisper's own VAD filter (``vad_filter=True``) *concatenates* the speech chunks it finds, removing
the silence between them, and decodes that stream. Where a pause was cut out, speech from both sides is
joined with no gap: Whisper reads across the join, drops the words after it (nine, in a reading with
long pauses), and its aligner stretches the last word before the join over the audio it did not write
down; mapping times back through the removed silence turns that into one word spanning the pause
(8.5 s). Its defaults (``min_silence_duration_ms=2000``, ``speech_pad_ms=400``) decide where the cuts
fall, but any cut inside speech can do this.

So we never join audio that was not together: regions are grouped into spans of the recording's own
audio, pauses included (as a whole-file pass without VAD would hear them), up to ``SPAN_SECONDS``
long; only a silence longer than ``JOIN_GAP`` separates two spans and is not decoded at all. Each span
is decoded on its own. Grouping is greedy from the first region, so a window that starts where a span
starts groups the rest exactly as one whole-file pass would (see ``clipper.speech.chunks``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipper.speech.audio import SAMPLE_RATE

# Within Whisper's 30 s window, with room for the padding: a span filling the window to its last frame
# leaves Whisper no silence to end on (measured: 6.7% WER on 103 s of generated speech, 3.8% at 28 s).
SPAN_SECONDS = 28.0
# Silence kept either side of a span (at most half the gap to the next). Measured: 0.4 s made Whisper
# start a sentence's first word over the pause before it (a turn change placed 1 s early), and 28 s
# spans alone already bring the WER down; so none, but the knob stays for other models.
PAD = 0.0
JOIN_GAP = 5.0  # a shorter silence stays inside a span; a longer one is skipped
LEAD = 4.0  # seconds of audio before a window the VAD hears first (a whole number of frames: 125)
FRAME = 512  # silero's frame, in samples: windows start on a frame so their VAD frames match a whole pass


@dataclass(frozen=True)
class Span:
    start: float  # seconds into the audio array
    end: float
    speech: tuple[tuple[float, float], ...] = ()  # the VAD regions inside it, to check word times against


def speech_regions(audio: np.ndarray) -> list[Span]:
    """Speech in ``audio`` (16 kHz float32) from faster-whisper's bundled silero VAD (ONNX, no download)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(audio) < FRAME:
        return []
    found = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=500, speech_pad_ms=200))
    return [Span(f["start"] / SAMPLE_RATE, f["end"] / SAMPLE_RATE, ((f["start"] / SAMPLE_RATE, f["end"] / SAMPLE_RATE),))
            for f in found]


def group(regions: list[Span], *, span_seconds: float = SPAN_SECONDS, join_gap: float = JOIN_GAP) -> list[Span]:
    """Consecutive regions joined while the span stays within ``span_seconds`` and no pause in it is
    longer than ``join_gap``."""
    spans: list[Span] = []
    for r in regions:
        if spans and r.start - spans[-1].end <= join_gap and r.end - spans[-1].start <= span_seconds:
            spans[-1] = Span(spans[-1].start, r.end, spans[-1].speech + r.speech)
        else:
            spans.append(r)
    return spans


def padded(spans: list[Span], duration: float, pad: float = PAD) -> list[Span]:
    """``spans`` widened by ``pad`` seconds each side, never past half the gap to a neighbour."""
    out = []
    for i, s in enumerate(spans):
        lo = (spans[i - 1].end + s.start) / 2 if i else 0.0
        hi = (s.end + spans[i + 1].start) / 2 if i + 1 < len(spans) else duration
        out.append(Span(max(lo, s.start - pad), min(hi, s.end + pad), s.speech))
    return out


def spans_of(regions: list[Span], audio: np.ndarray) -> list[Span]:
    """The spans to decode in ``audio`` from its VAD ``regions`` (for a caller that also needs the regions)."""
    return padded(group(regions), len(audio) / SAMPLE_RATE)


def speech_spans(audio: np.ndarray, lead: np.ndarray | None = None) -> list[Span]:
    """The spans to decode in ``audio``: VAD regions, grouped, padded. ``lead``: the audio just before
    ``audio`` (a whole number of VAD frames), heard first so the VAD's state at ``audio``'s start is
    close to what a pass over the whole recording has there."""
    if lead is None or not len(lead):
        return spans_of(speech_regions(audio), audio)
    shift = len(lead) / SAMPLE_RATE
    regions = []
    for r in speech_regions(np.concatenate([lead, audio])):
        if r.end - shift > 0:
            start, end = max(0.0, r.start - shift), r.end - shift
            regions.append(Span(start, end, ((start, end),)))
    return padded(group(regions), len(audio) / SAMPLE_RATE)


def on_frame(seconds: float) -> float:
    """``seconds`` rounded down to a VAD frame boundary."""
    return int(seconds * SAMPLE_RATE) // FRAME * FRAME / SAMPLE_RATE
