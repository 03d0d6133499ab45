"""What a social lead needs to judge a clip before approving it: the words around the cut, and warnings.

A clip can change what someone said: "we will not raise taxes" cut after "not" says the opposite. The
review shows the sentence before and after the cut and warns about a cut mid-sentence, a negation just
outside either edge, glossary misspellings in the captions, and renders that would carry no imprint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.glossary import Checker
from clipper.models import Clip, Word

NEGATIONS = frozenset({"not", "never", "no", "nor", "cannot", "nobody", "nothing", "none", "neither"})
NEAR = 3  # words outside an edge checked for a negation
CONTEXT_WORDS = 40  # at most this many words of context on each side
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*$")
_TOKEN = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class Warning:
    kind: str  # mid_sentence, negation, glossary, imprint
    message: str


@dataclass(frozen=True)
class ReviewContext:
    before: str  # the transcript before the in point: the sentence it cuts into and the one before
    text: str  # the clip's caption text
    after: str  # the rest of the sentence after the out point and the next one
    warnings: tuple[Warning, ...]


# titles that end in a full stop without ending the sentence ("Mr. Streeting said")
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "prof", "rt", "hon", "sir", "gen", "col", "rev", "vs", "etc"})


def ends_sentence(text: str) -> bool:
    text = text.strip()
    if not _SENTENCE_END.search(text):
        return False
    return "".join(_TOKEN.findall(text)).lower() not in ABBREVIATIONS


def is_negation(text: str) -> bool:
    tokens = [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


def review_context(session: Session, clip: Clip, *, checker: Checker | None = None,
                   imprint: str = "") -> ReviewContext:
    """The words around ``clip`` and what a lead should check (``imprint``: the branding's imprint text)."""
    before = _words(session, clip.recording_id, Word.end <= clip.start + 0.001, desc=True)
    after = _words(session, clip.recording_id, Word.start >= clip.end - 0.001)
    # words straddling an edge belong to the side their middle is on (the clip's own rule)
    before = [w for w in before if (w[0] + w[1]) / 2 < clip.start]
    after = [w for w in after if (w[0] + w[1]) / 2 > clip.end]
    inside = [str(w["text"]) for w in clip.caption_words or []]
    before_texts = _sentences_back([w[2] for w in before])
    after_texts = _sentences_on([w[2] for w in after])
    warnings: list[Warning] = []
    if inside and before and not ends_sentence(before[0][2]):
        warnings.append(Warning("mid_sentence", f"The clip starts mid-sentence, after “…{_tail(before)}”."))
    if inside and after and not ends_sentence(inside[-1]):
        warnings.append(Warning("mid_sentence", f"The clip ends mid-sentence, before “{_head(after)}…”."))
    near_before = _same_sentence_back([w[2] for w in before[:NEAR]])
    near_after = [] if inside and ends_sentence(inside[-1]) else _same_sentence_on([w[2] for w in after[:NEAR]])
    said = [t for t in near_before if is_negation(t)]
    if said:
        warnings.append(Warning("negation", f"“{said[0]}” is said just before the clip starts: "
                                            f"“…{' '.join(reversed(near_before))} | {' '.join(inside[:4])}…”. "
                                            "Check the clip does not reverse what was meant."))
    said = [t for t in near_after if is_negation(t)]
    if said:
        warnings.append(Warning("negation", f"“{said[0]}” is said just after the clip ends: "
                                            f"“…{' '.join(inside[-4:])} | {' '.join(near_after)}…”. "
                                            "Check the clip does not reverse what was meant."))
    if checker is not None:
        for text in inside:
            for message in checker.warnings(text):
                warnings.append(Warning("glossary", f"Caption word “{text}”: {message}"))
    if not imprint.strip():
        warnings.append(Warning("imprint", "Renders carry no promoter imprint: an admin sets it on the Branding "
                                           "page (UK law requires one on campaign material)."))
    return ReviewContext(before=" ".join(before_texts), text=" ".join(inside), after=" ".join(after_texts),
                         warnings=tuple(warnings))


def _words(session: Session, recording_id: int, condition: object, *, desc: bool = False) -> list[tuple[float, float, str]]:
    order = (Word.idx.desc(),) if desc else (Word.idx,)
    rows = session.execute(select(Word.start, Word.end, Word.text, Word.edited_text)
                           .where(Word.recording_id == recording_id, condition)  # type: ignore[arg-type]
                           .order_by(*order).limit(CONTEXT_WORDS * 2))
    return [(start, end, (edited if edited is not None else text).strip()) for start, end, text, edited in rows]


def _sentences_back(texts: list[str]) -> list[str]:
    """From the in point back: the rest of the sentence the cut is in, and the whole sentence before it."""
    out: list[str] = []
    ends_seen = 0
    for text in texts:  # nearest first
        if ends_sentence(text) and out:
            ends_seen += 1
            if ends_seen == 2 or len(out) >= CONTEXT_WORDS:
                break
        elif ends_sentence(text) and not out:
            ends_seen = 1  # the clip starts on a sentence: show the one before it whole
        out.append(text)
        if len(out) >= CONTEXT_WORDS:
            break
    return list(reversed(out))


def _sentences_on(texts: list[str]) -> list[str]:
    """From the out point on: the rest of the sentence the cut is in, and the next whole sentence."""
    out: list[str] = []
    ends_seen = 0
    for text in texts:
        out.append(text)
        if ends_sentence(text):
            ends_seen += 1
            if ends_seen == 2:
                break
        if len(out) >= CONTEXT_WORDS:
            break
    return out


def _same_sentence_back(texts: list[str]) -> list[str]:
    """The words before the in point (nearest first) that belong to the sentence the clip starts in."""
    out = []
    for text in texts:
        if ends_sentence(text):
            break
        out.append(text)
    return out


def _same_sentence_on(texts: list[str]) -> list[str]:
    """The words after the out point up to the end of the sentence the clip ends in."""
    out = []
    for text in texts:
        out.append(text)
        if ends_sentence(text):
            break
    return out


def _tail(words: list[tuple[float, float, str]], n: int = 4) -> str:
    return " ".join(w[2] for w in reversed(words[:n]))


def _head(words: list[tuple[float, float, str]], n: int = 4) -> str:
    return " ".join(w[2] for w in words[:n])
