"""Who may do what to whose work: the one place that decides "may this user do this to this object".

Every view and API route that acts on a clip or a recording calls ``check(user, action, obj)`` after
loading the object (``web.permissions.require`` passes the logged-in user). A rule names the least
role, whether the object must be the user's own (leads and admins act on anyone's), and the states
the object must be in. Workflow rules that need the database (the two-person rule on approval, the
optimistic lock) live with the workflow in ``clipper.clips``.

``user`` is anything with ``id`` and ``has_role(*roles)`` (a ``User`` row or the web's login user).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from clipper.errors import Conflict, Forbidden

RANK = {"volunteer": 0, "social_lead": 1, "admin": 2}
ROLE_NAMES = {"volunteer": "a volunteer", "social_lead": "a social lead", "admin": "an admin"}


class Actor(Protocol):
    id: int

    def has_role(self, *roles: str) -> bool: ...


@dataclass(frozen=True)
class Rule:
    role: str  # the least role that may
    own: bool = False  # only on one's own objects, unless one is at least ``anyones``
    anyones: str = "social_lead"  # the least role that acts on anyone's object
    states: tuple[str, ...] = ()  # the object's ``status`` must be one of these (empty: any)
    what: str = ""  # for messages: "change this clip"


ACTIONS: dict[str, Rule] = {
    "clip.view": Rule("volunteer", what="see this clip"),
    "clip.create": Rule("volunteer", what="mark clips"),
    "clip.edit": Rule("volunteer", own=True, what="change this clip"),
    "clip.submit": Rule("volunteer", own=True, what="submit this clip for review"),
    # The rough cut of a clip is private: its owner and the reviewers watch it through short-lived links.
    "clip.preview": Rule("volunteer", own=True, what="watch or ask for this clip's preview"),
    "clip.delete": Rule("volunteer", own=True, anyones="admin", what="delete this clip"),  # drafts: clips.py
    "clip.review": Rule("social_lead", states=("submitted",), what="approve or reject clips"),
    # Public renders come only from approval; rendering again (after a failure or a caption fix) is a
    # lead's action on a clip that is already approved.
    "clip.render": Rule("social_lead", states=("approved", "published"), what="render clips for publishing"),
    "recording.view": Rule("volunteer", what="see this recording"),
    "recording.edit": Rule("volunteer", own=True, what="correct this recording's details"),
    "recording.delete": Rule("admin", what="delete recordings"),
    "recording.fix_word": Rule("volunteer", what="fix transcript words"),
    "recording.cancel_transcription": Rule("social_lead", what="stop a transcription"),
    "recording.rerun_transcription": Rule("social_lead", what="transcribe a recording again"),
    "recording.discard_word_fixes": Rule("admin", what="transcribe again over volunteers' word fixes"),
}


def allowed(user: Actor | None, action: str, obj: Any = None) -> bool:
    return problem(user, action, obj) is None


def check(user: Actor | None, action: str, obj: Any = None) -> None:
    """Raise ``Forbidden`` (403) or, for the wrong moment, ``Conflict`` (409) unless ``user`` may."""
    found = problem(user, action, obj)
    if found is not None:
        raise found


def problem(user: Actor | None, action: str, obj: Any = None) -> Forbidden | Conflict | None:
    """Why ``user`` may not do ``action`` to ``obj`` (a message a volunteer understands); ``None`` when they may."""
    rule = ACTIONS[action]  # an unknown action is a bug: KeyError, never a silent yes
    if user is None or not getattr(user, "id", None):
        return Forbidden("Log in first.")
    if not user.has_role(rule.role):
        return Forbidden(f"Only {ROLE_NAMES[rule.role]} or above can {rule.what}. Ask an admin if you need it.")
    if rule.own and obj is not None and not user.has_role(rule.anyones) and owner_id(obj) != user.id:
        kind = type(obj).__name__.lower()
        return Forbidden(f"This {kind} is someone else's: only the volunteer who made it, or "
                         f"{ROLE_NAMES[rule.anyones]}, can {rule.what}.")
    if rule.states and obj is not None and getattr(obj, "status", None) not in rule.states:
        return Conflict(f"This {type(obj).__name__.lower()} is {obj.status}; you can {rule.what} only when it "
                        f"is {' or '.join(rule.states)}.")
    return None


def owner_id(obj: Any) -> int | None:
    return getattr(obj, "created_by_id", None)
