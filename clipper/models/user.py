"""People who log in, and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clipper.models.base import Base, Timestamps, utcnow

ROLES = ("volunteer", "social_lead", "admin")


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="volunteer")
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Every login carries the generation it was made in; raising it ends every session of the user.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def has_role(self, *roles: str) -> bool:
        """Admins can do everything; social leads everything a volunteer can."""
        rank = {"volunteer": 0, "social_lead": 1, "admin": 2}
        return any(rank.get(self.role, -1) >= rank[r] for r in roles)


# A change to any of these ends the user's sessions (browser cookies; API tokens are managed apart).
SESSION_FIELDS = ("password_hash", "role", "active")


@event.listens_for(Session, "before_flush")
def _end_sessions_on_account_change(session: Session, _context: Any, _instances: Any) -> None:
    """Whatever changes a password, role or active flag (admin page, reset link, CLI) ends the sessions."""
    for obj in session.dirty:
        if isinstance(obj, User):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in SESSION_FIELDS):
                obj.session_generation = (obj.session_generation or 0) + 1


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def new_secret() -> str:
        return "clp_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
