"""The clip's speaker, linked to a person on the People page: the role and constituency for the name strap.

Volunteers type or pick the speaker's name (the form offers the people list); the admin keeps each
person's role and constituency there. A clip's own typed role wins; otherwise a person whose name
matches (case and spacing aside, or the picker's "Name (role, constituency)" label) gives theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.models import Person


@dataclass(frozen=True)
class Speaker:
    name: str
    role: str = ""
    person_id: int | None = None
    photo_key: str = ""  # their photo in storage (People page), for audiograms


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def speaker_for(session: Session, name: str, role: str = "") -> Speaker:
    """``name`` and ``role`` as the clip has them, completed from the matching person when there is one."""
    wanted = _key(name)
    if not wanted:
        return Speaker("", role.strip())
    people = session.scalars(select(Person).order_by(Person.active.desc(), Person.id)).all()
    match = next((p for p in people if _key(p.name) == wanted), None) \
        or next((p for p in people if _key(p.label) == wanted), None)
    if match is None:
        return Speaker(" ".join(name.split()), role.strip())
    details = ", ".join(part.strip() for part in (match.role, match.constituency) if part and part.strip())
    return Speaker(match.name, role.strip() or details, match.id, match.photo_key or "")
