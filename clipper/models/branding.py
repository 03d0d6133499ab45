"""Branding and caption style: one row the admin edits on the Branding page."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from clipper.models.base import Base, Timestamps


class Branding(Timestamps, Base):
    __tablename__ = "branding"

    id: Mapped[int] = mapped_column(primary_key=True)
    logo_key: Mapped[str] = mapped_column(String(500), default="")  # empty: no logo
    logo_position: Mapped[str] = mapped_column(String(20), default="top-right")
    logo_scale: Mapped[float] = mapped_column(default=0.12)
    logo_opacity: Mapped[float] = mapped_column(default=0.9)
    strap_enabled: Mapped[bool] = mapped_column(default=True)
    strap_seconds: Mapped[float] = mapped_column(default=4.0)
    end_card_enabled: Mapped[bool] = mapped_column(default=False)
    end_card_seconds: Mapped[float] = mapped_column(default=2.0)
    imprint_text: Mapped[str] = mapped_column(Text, default="")
    imprint_required: Mapped[bool] = mapped_column(default=False)
    caption_font: Mapped[str] = mapped_column(String(100), default="")  # empty: CLIPPER_CAPTION_FONT
    caption_size: Mapped[float] = mapped_column(default=1.0)
    caption_colour: Mapped[str] = mapped_column(String(7), default="#FFFFFF")
    caption_highlight: Mapped[str] = mapped_column(String(7), default="#FFD400")
    caption_outline: Mapped[str] = mapped_column(String(7), default="#000000")
    caption_position: Mapped[str] = mapped_column(String(10), default="bottom")
    caption_uppercase: Mapped[bool] = mapped_column(default=False)
    caption_box: Mapped[bool] = mapped_column(default=False)  # a solid box behind caption lines
    background_colour: Mapped[str] = mapped_column(String(7), default="#12284C")  # behind audiograms

    @classmethod
    def current(cls, session: Session) -> Branding:
        """The one branding row, created with defaults the first time it is asked for."""
        row = session.get(cls, 1)
        if row is None:
            row = cls(id=1)
            session.add(row)
            session.flush()
        return row
