"""The campaign glossary: names (MPs, constituencies, parties) the speech model should expect."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, Timestamps


class GlossaryTerm(Timestamps, Base):
    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str] = mapped_column(String(300), default="")  # e.g. "MP for Leeds East"
