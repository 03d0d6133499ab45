"""The audit log: ``record(session, ...)`` adds who did what to which record; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clipper.models import Event


def record(session: Session, action: str, target: Any = None, *, user_id: int | None = None,
           **detail: Any) -> Event:
    event = Event(action=action, user_id=user_id, detail=detail,
                  target_type=type(target).__name__.lower() if target is not None else "",
                  target_id=getattr(target, "id", None))
    session.add(event)
    return event
