"""Branding options for a render: logo, name strap, end card, promoter imprint, caption style.

The admin keeps them in the database (``clipper.models.Branding``); ``options_from`` turns that row
into frozen options the renderer takes, and ``check`` refuses what cannot be rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from clipper.captions import CaptionStyle
from clipper.errors import RenderError

LOGO_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
CAPTION_POSITIONS = ("bottom", "middle", "top")
DEFAULT_BACKGROUND = "#12284C"
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class BrandingOptions:
    caption_style: CaptionStyle = field(default_factory=CaptionStyle)
    logo_path: Path | None = None  # a PNG we fetched from storage; None: no logo
    logo_position: str = "top-right"
    logo_scale: float = 0.12  # logo width as a fraction of the frame width
    logo_opacity: float = 0.9
    strap: bool = True
    strap_seconds: float = 4.0
    end_card: bool = False
    end_card_seconds: float = 2.0
    imprint: str = ""
    imprint_required: bool = False
    background: str = DEFAULT_BACKGROUND  # #RRGGBB behind audiograms (recordings without pictures)


def options_from(record: object | None, *, logo_path: Path | None = None, default_font: str = "DejaVu Sans") -> BrandingOptions:
    """``Branding`` row (or None: defaults) -> ``BrandingOptions``."""
    if record is None:
        return BrandingOptions(caption_style=CaptionStyle(font=default_font))
    r = record
    style = CaptionStyle(
        font=r.caption_font or default_font, size=r.caption_size, colour=r.caption_colour,  # type: ignore[attr-defined]
        highlight=r.caption_highlight, outline=r.caption_outline, position=r.caption_position,  # type: ignore[attr-defined]
        uppercase=r.caption_uppercase, box=bool(getattr(r, "caption_box", False)),  # type: ignore[attr-defined]
    )
    return BrandingOptions(
        caption_style=style, logo_path=logo_path, logo_position=r.logo_position,  # type: ignore[attr-defined]
        logo_scale=r.logo_scale, logo_opacity=r.logo_opacity, strap=r.strap_enabled,  # type: ignore[attr-defined]
        strap_seconds=r.strap_seconds, end_card=r.end_card_enabled,  # type: ignore[attr-defined]
        end_card_seconds=r.end_card_seconds, imprint=(r.imprint_text or "").strip(),  # type: ignore[attr-defined]
        imprint_required=r.imprint_required,  # type: ignore[attr-defined]
        background=getattr(r, "background_colour", "") or DEFAULT_BACKGROUND,
    )


def check(options: BrandingOptions) -> None:
    if options.imprint_required and not options.imprint.strip():
        raise RenderError(
            "Campaign material needs a promoter imprint (\"Promoted by … on behalf of …\"), and none is set. "
            "An admin must add it on the Branding page before clips can be rendered."
        )
    if options.logo_path is not None and not Path(options.logo_path).is_file():
        raise RenderError("The logo file is missing: upload it again on the Branding page, or turn the logo off.")
    if options.logo_position not in LOGO_POSITIONS:
        raise RenderError(f"Unknown logo position {options.logo_position!r}.")
    style = options.caption_style
    for colour in (options.background, style.colour, style.highlight, style.outline):
        if not COLOUR.fullmatch(colour or ""):
            raise RenderError(f"{colour!r} is not a colour like #FFD400: fix it on the Branding page.")
    if options.caption_style.position not in CAPTION_POSITIONS:
        raise RenderError(f"Unknown caption position {options.caption_style.position!r}.")
