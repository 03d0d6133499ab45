"""The people list admins keep (speakers for clips), saved searches, and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, Timestamps, utcnow


class Person(Timestamps, Base):
    """Someone who appears in clips: an MP, a candidate, a minister. Offered as a clip's speaker."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")  # "Shadow Chancellor", "Candidate"
    constituency: Mapped[str] = mapped_column(String(200), default="")
    party: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    photo_key: Mapped[str] = mapped_column(String(500), default="")  # behind their audiograms; empty: none

    @property
    def label(self) -> str:
        """"Name (role, constituency)" as shown in pickers and strap lines."""
        extra = ", ".join(p for p in (self.role, self.constituency) if p)
        return f"{self.name} ({extra})" if extra else self.name


class SavedSearch(Base):
    """A search a volunteer runs again and again ("cost of living", a rival's name)."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """A failed log-in, keyed by a hash of email + address; counted to rate-limit guessing."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)
