"""Resumable uploads in progress (the tus protocol): who is sending what, and how much has arrived."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, utcnow


class Upload(Base):
    __tablename__ = "uploads"

    # The id is the unguessable token in the upload's URL; it is only ever served to its owner.
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: secrets.token_urlsafe(24))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    length: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(500), default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # the last byte received; unfinished uploads expire from it
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"), default=None)

    @property
    def complete(self) -> bool:
        return self.completed_at is not None
