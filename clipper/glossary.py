"""The campaign glossary: names the speech model is told to expect, and likely misspellings of them.

Whisper gets the names as its prompt (and as hotwords, for faster-whisper). After recognition each
word is compared with the glossary: a word that is close to a name but not the name ("Starmar" for
"Starmer") gets a warning, so a volunteer checks it before it goes out in a caption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput
from clipper.models import GlossaryTerm

MAX_TERMS = 500
MIN_LENGTH = 4  # shorter words match too much by chance
SIMILARITY = 0.8

_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)


@dataclass(frozen=True)
class Entry:
    term: str
    note: str = ""


def list_terms(session: Session) -> list[Entry]:
    return [Entry(t.term, t.note) for t in session.scalars(select(GlossaryTerm).order_by(GlossaryTerm.term))]


def replace_terms(session: Session, entries: list[Entry]) -> list[Entry]:
    """Make the glossary exactly ``entries`` (the admin edits it as one list)."""
    if len(entries) > MAX_TERMS:
        raise InvalidInput(f"The glossary holds at most {MAX_TERMS} names.")
    seen: dict[str, Entry] = {}
    for e in entries:
        term = " ".join(e.term.split())
        if not term:
            continue
        if len(term) > 200 or len(e.note) > 300:
            raise InvalidInput(f"{term[:40]!r} is too long: keep names under 200 characters and notes under 300.")
        seen.setdefault(term.lower(), Entry(term, e.note.strip()))
    session.execute(delete(GlossaryTerm))
    session.add_all(GlossaryTerm(term=e.term, note=e.note) for e in seen.values())
    session.flush()
    return list_terms(session)


class Checker:
    """Flags words that look like a misspelt glossary name."""

    def __init__(self, terms: list[str] | tuple[str, ...]) -> None:
        self.names: dict[str, str] = {}  # normalised token -> how the glossary spells it
        for term in terms:
            for token in _TOKEN.findall(term):
                if len(token) >= MIN_LENGTH:
                    self.names.setdefault(_norm(token), token)
        self._check = lru_cache(maxsize=20000)(self._warnings)  # broadcasts repeat their words

    def warnings(self, word: str) -> list[str]:
        return list(self._check(_norm(word)))

    def _warnings(self, word: str) -> tuple[str, ...]:
        if len(word) < MIN_LENGTH or not self.names or word in self.names:
            return ()
        found = []
        for norm, spelling in self.names.items():
            if abs(len(norm) - len(word)) > 3 or word in (norm + "s", norm + "'s", norm + "’s"):
                continue
            matcher = SequenceMatcher(None, word, norm)
            if matcher.real_quick_ratio() >= SIMILARITY and matcher.quick_ratio() >= SIMILARITY \
                    and matcher.ratio() >= SIMILARITY:
                found.append(f"Check the spelling: the glossary has “{spelling}”.")
        return tuple(found)


def _norm(word: str) -> str:
    return "".join(_TOKEN.findall(word)).lower().strip("'’-")
