"""Whisper's word pieces made into the words people write, and the checks that find a suspect segment.

Whisper (both backends) splits a written word where a piece starts without a space: "o" + "'clock",
"ill" + "-disposed", "42" + "-line", "don" + "'t" — its punctuation rules then keep the pieces apart.
A piece without a leading space belongs to the word before it: they are joined into one displayed word
whose timing covers both, and the pieces' own timings are kept for word-by-word highlighting.
A word of zero length (the aligner gives some pieces no frames) is given time from the gap after it, or
shares its neighbour's, so no stored word has ``end <= start``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from clipper.transcript import Segment, Word

MIN_WORD_SECONDS = 0.02  # shorter than any spoken word: the aligner gave it no frames
WIDEN_SECONDS = 0.2  # how far a zero-length word may grow into the silence after it


def join_pieces(pieces: Iterable[tuple[float, float, str, float]], offset: float = 0.0) -> tuple[Word, ...]:
    """Words from Whisper's ``(start, end, raw text, probability)`` pieces, raw text as Whisper gives it
    (a leading space starts a new word)."""
    words: list[Word] = []
    parts: list[tuple[float, float, str]] = []
    probs: list[float] = []

    def flush() -> None:
        if not parts:
            return
        text = "".join(p[2] for p in parts).strip()
        if text:
            start, end = parts[0][0], max(p[1] for p in parts)
            words.append(Word(start=round(start + offset, 3), end=round(end + offset, 3), text=text,
                              probability=round(min(probs), 4),
                              pieces=tuple((round(s + offset, 3), round(e + offset, 3), t.strip())
                                           for s, e, t in parts) if len(parts) > 1 else ()))
        parts.clear()
        probs.clear()

    for start, end, raw, prob in pieces:
        if not raw.strip():
            continue
        if raw[:1].isspace() or not parts:
            flush()
        parts.append((float(start), float(end), raw))
        probs.append(float(prob))
    flush()
    return fix_zero_length(words)


def fix_zero_length(words: Sequence[Word]) -> tuple[Word, ...]:
    """``words`` with every zero-length word given a little time: from the silence after it when there is
    some, otherwise half of the next word's (or, for the last word, the previous one's) time."""
    out = list(words)
    for i, w in enumerate(out):
        if w.end - w.start >= MIN_WORD_SECONDS:
            continue
        nxt = out[i + 1] if i + 1 < len(out) else None
        if nxt is not None and nxt.start - w.start >= MIN_WORD_SECONDS:
            out[i] = replace(w, end=round(min(w.start + WIDEN_SECONDS, nxt.start), 3))
        elif nxt is not None and nxt.end - w.start >= 2 * MIN_WORD_SECONDS:
            middle = round((w.start + nxt.end) / 2, 3)
            out[i], out[i + 1] = replace(w, end=middle), replace(nxt, start=middle)
        elif i > 0 and w.end - out[i - 1].start >= 2 * MIN_WORD_SECONDS:
            prev = out[i - 1]
            middle = round((prev.start + w.end) / 2, 3)
            out[i - 1], out[i] = replace(prev, end=middle), replace(w, start=middle)
        else:
            out[i] = replace(w, end=round(w.start + MIN_WORD_SECONDS * 2, 3))
    return tuple(out)


def snap_to_speech(segment: Segment, speech: Sequence[tuple[float, float]]) -> Segment:
    """``segment`` with word edges that fall in silence (between VAD ``speech`` regions, same times) moved
    to the speech: Whisper often starts a sentence's first word where the last one ended, over the pause
    between them (measured: a turn change placed 1 s early)."""
    if not speech:
        return segment

    def inside(t: float) -> bool:
        return any(a <= t <= b for a, b in speech)

    words = []
    for w in segment.words:
        start, end = w.start, w.end
        if not inside(start):
            later = [a for a, _ in speech if start < a < end]
            start = round(later[0], 3) if later else start
        if not inside(end):
            earlier = [b for _, b in speech if start < b < end]
            end = round(earlier[-1], 3) if earlier else end
        words.append(w if (start, end) == (w.start, w.end) else replace(w, start=start, end=end))
    return segment_of(words, segment.text) if words else segment


def suspect(segment: Segment, *, max_word: float, max_gap: float) -> bool:
    """A segment Whisper may have skipped words in: a word longer than anyone says one (the aligner
    stretched it over audio whose words were not written), or a silence between two of its words longer
    than ``max_gap`` (a segment is one stretch of speech; words vanish into such gaps)."""
    ws = segment.words
    if any(w.end - w.start > max_word for w in ws):
        return True
    return any(b.start - a.end > max_gap for a, b in zip(ws, ws[1:], strict=False))


def spoken(segment: Segment) -> bool:
    """Whether ``segment`` holds a word someone could say: a letter or a digit. On music or noise Whisper
    writes segments of punctuation or music notes alone ("." measured on a synthetic tune without VAD;
    "♪" is common), which are not words."""
    return any(ch.isalnum() for w in segment.words for ch in w.text)


def segment_of(words: Sequence[Word], text: str = "") -> Segment:
    return Segment(start=words[0].start, end=words[-1].end,
                   text=text or " ".join(w.text for w in words), words=tuple(words))
