"""Where captions break: which words are shown together, and where a caption's lines wrap.

Words that belong together are never split across captions or lines: a title and the name after it
("Mr." alone on screen for 0.3 s before "Streeting" reads as a mistake), a number and its unit
("5 | million", "10 per | cent"). Among the breaks that fit, those after punctuation win, and a line
or caption does not end on a word that leans on the next one ("the", "of", "and").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol


class TimedWord(Protocol):
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


TITLES = frozenset("""mr mrs ms mx miss dr sir dame lord lady prof professor rev revd cllr councillor rt hon st
    mp baroness baron judge justice""".split())
ABBREVIATIONS = TITLES | frozenset("no vs etc eg ie approx".split())
NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    """.split())
UNITS = frozenset("""million millions billion billions trillion thousand thousands hundred hundreds per cent
    percent % pounds pound pence p quid euros dollars mph km kilometres miles metres meters years year months
    month weeks week days day hours hour minutes minute seconds kg tonnes degrees am pm bn m k""".split())
# Words a line or caption should not end on: they lean on what follows.
LEANING = frozenset("""a an the of to and or but nor in on at for with by from as into onto than that this these
    those my your our their his her its we i you they be is are was were will would can could not no""".split())
_DIGIT = re.compile(r"^[£$€]?\d")
_SENTENCE_END = re.compile(r"[.!?…]['\")\]]*$")
_PHRASE_END = re.compile(r"[,;:—–\-]['\")\]]*$")

Chunk = list[Any]  # words that stay together


def _bare(text: str) -> str:
    return text.strip("\"'“”‘’()[]").rstrip(".,;:!?…").casefold()


def glued(word: TimedWord, following: TimedWord) -> bool:
    """Does ``word`` hold on to the word after it?"""
    if _PHRASE_END.search(word.text) or (_SENTENCE_END.search(word.text) and not is_abbreviation(word.text)):
        return False
    bare, nxt = _bare(word.text), _bare(following.text)
    if bare in TITLES:
        return True  # "Mr." "Streeting", "Rt" "Hon"
    numeric = bool(_DIGIT.match(word.text.lstrip("\"'“‘("))) or bare in NUMBER_WORDS
    if (numeric or bare in UNITS and bare in ("per", "hundred", "thousand", "million", "billion")) and nxt in UNITS:
        return True  # "5 million", "10 per" + "cent", "two hundred thousand"
    return bare == "a" and nxt in ("million", "billion", "thousand", "hundred")


def is_abbreviation(text: str) -> bool:
    return text.endswith(".") and _bare(text) in ABBREVIATIONS


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text)) and not is_abbreviation(text)


def chunks(words: Sequence[TimedWord]) -> list[Chunk]:
    out: list[Chunk] = []
    for i, word in enumerate(words):
        if out and i > 0 and glued(words[i - 1], word):
            out[-1].append(word)
        else:
            out.append([word])
    return out


def _text(parts: Sequence[Chunk]) -> str:
    return " ".join(w.text for part in parts for w in part)


def line_fits(parts: Sequence[Chunk], layout: Any) -> bool:
    """Within the line limits, or one unbreakable chunk on its own (then it may run long)."""
    if len(parts) == 1:
        return True
    return (sum(len(p) for p in parts) <= layout.max_words_per_line
            and len(_text(parts)) <= layout.max_chars_per_line)


def line_count(parts: Sequence[Chunk], layout: Any) -> int:
    """Lines needed when filling greedily (the fewest any wrapping can use)."""
    lines, current = 0, []  # type: ignore[var-annotated]
    for part in parts:
        if current and line_fits(current + [part], layout):
            current.append(part)
        else:
            lines += 1 if current else 0
            current = [part]
    return lines + (1 if current else 0)


def break_cost(part: Chunk) -> float:
    """How bad a break after ``part`` is: none after punctuation, worst after a leaning word."""
    last = part[-1].text
    if _PHRASE_END.search(last) or ends_sentence(last):
        return 0.0
    return 3.0 if _bare(last) in LEANING else 1.0


def wrap(parts: Sequence[Chunk], layout: Any, lines: int | None = None) -> tuple[float, list[list[Any]]]:
    """A caption's chunks as at most ``layout.max_lines`` lines, breaking where it reads best; and the cost."""
    lines = layout.max_lines if lines is None else lines
    if lines <= 1 or line_fits(parts, layout):
        return 0.0, [[w for p in parts for w in p]]
    best: tuple[float, list[list[Any]]] | None = None
    for j in range(1, len(parts)):
        head, rest = parts[:j], parts[j:]
        if not line_fits(head, layout) or line_count(rest, layout) > lines - 1:
            continue
        # Balanced lines read better than a full line over a stub; punctuation beats balance.
        balance = abs(len(_text(head)) - len(_text(rest))) / max(1, layout.max_chars_per_line)
        rest_cost, rest_lines = wrap(rest, layout, lines - 1)
        cost = 2 * break_cost(parts[j - 1]) + balance + rest_cost
        if best is None or cost < best[0]:
            best = (cost, [[w for p in head for w in p], *rest_lines])
    if best is None:  # an overlong chunk: one line
        return 10.0, [[w for p in parts for w in p]]
    return best


def split_point(parts: Sequence[Chunk], layout: Any) -> int:
    """Where a full caption ends (its chunks before the index; the rest starts the next caption)."""
    n = len(parts)
    best_k, best_cost = n, float("inf")
    for k in range(max(1, (n + 1) // 2), n + 1):
        cost = break_cost(parts[k - 1]) + 0.4 * (n - k) + wrap(parts[:k], layout)[0]
        if cost < best_cost:
            best_k, best_cost = k, cost
    return best_k


def captions(words: Sequence[TimedWord], layout: Any) -> list[list[list[Any]]]:
    """Words -> captions (each a list of lines of words): a new caption after a pause or a sentence's end,
    or when the next chunk does not fit; a full caption ends at its best break."""
    out: list[list[list[Any]]] = []
    current: list[Chunk] = []
    for part in chunks(words):
        if current and (part[0].start - current[-1][-1].end > layout.max_gap or ends_sentence(current[-1][-1].text)):
            out.append(wrap(current, layout)[1])
            current = []
        if current and line_count(current + [part], layout) > layout.max_lines:
            k = split_point(current, layout)
            out.append(wrap(current[:k], layout)[1])
            current = current[k:]
            if current and line_count(current + [part], layout) > layout.max_lines:
                out.append(wrap(current, layout)[1])
                current = []
        current.append(part)
    if current:
        out.append(wrap(current, layout)[1])
    return out
