"""Captions from a clip's timed words: groups sized per aspect, word-by-word ASS, SRT and VTT sidecars.

Words arrive with absolute source times; everything here is relative to the clip's in point. User text
only ever lands inside files we write (never in an ffmpeg argument): ``ass_text`` neutralises what the
ASS renderer would interpret (override blocks ``{...}``, ``\\N``-style escapes, line breaks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from clipper import caption_breaks

# Word joiner (U+2060): invisible, and a backslash followed by it is no longer an ASS escape.
_WJ = "\u2060"
NEWLINE = "\\N"  # ASS line break, only ever inserted by us


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the clip's in point
    end: float
    text: str


@dataclass(frozen=True)
class Layout:
    """How many words fit a caption for one aspect: short lines on vertical, longer on landscape."""

    max_words_per_line: int
    max_chars_per_line: int
    max_lines: int
    max_gap: float = 0.8  # a pause this long starts a new caption


LAYOUTS = {
    "landscape": Layout(max_words_per_line=7, max_chars_per_line=38, max_lines=2),
    "square": Layout(max_words_per_line=5, max_chars_per_line=24, max_lines=2),
    "vertical": Layout(max_words_per_line=4, max_chars_per_line=18, max_lines=1),
}


@dataclass(frozen=True)
class Caption:
    """A group of words shown together, split into lines."""

    lines: tuple[tuple[Word, ...], ...]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line]

    @property
    def start(self) -> float:
        return self.lines[0][0].start

    @property
    def end(self) -> float:
        return self.lines[-1][-1].end

    @property
    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in line) for line in self.lines)


@dataclass(frozen=True)
class CaptionStyle:
    """The admin's caption look. Colours are ``#RRGGBB``; ``size`` scales the per-aspect base size."""

    font: str = "DejaVu Sans"
    size: float = 1.0
    colour: str = "#FFFFFF"
    highlight: str = "#FFD400"
    outline: str = "#000000"
    position: str = "bottom"  # bottom, middle, top
    uppercase: bool = False
    box: bool = False  # a solid box behind the caption lines (reads on any picture)


@dataclass(frozen=True)
class Overlay:
    """Branding text drawn by the ASS renderer: a name strap, the imprint, an end card."""

    strap_name: str = ""
    strap_role: str = ""
    strap_seconds: float = 4.0
    imprint: str = ""
    end_card_title: str = ""
    end_card_from: float | None = None  # seconds; None: no end card (imprint then sits in the frame)
    extras: dict[str, str] = field(default_factory=dict)


def relative_words(words: Iterable[Mapping[str, object]], start: float, end: float) -> list[Word]:
    """A clip's stored words (absolute times) -> ``Word``s relative to ``start``, clamped to the clip."""
    out = []
    for w in words:
        text = clean_text(str(w.get("text", "")))
        if not text:
            continue
        ws = max(0.0, float(w["start"]) - start)  # type: ignore[arg-type]
        we = min(end - start, float(w["end"]) - start)  # type: ignore[arg-type]
        if we <= 0 or ws >= end - start:
            continue
        out.append(Word(round(ws, 3), round(max(we, ws), 3), text))
    return out


def clean_text(text: str) -> str:
    """One line of plain text: newlines and control characters become spaces."""
    text = "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in text)
    return " ".join(text.split())


def group(words: Sequence[Word], layout: Layout) -> list[Caption]:
    """Words -> captions of at most N lines of N words/characters; a new caption after a pause or a sentence.

    Never between a title and a name or a number and its unit; breaks at punctuation preferred
    (``clipper.caption_breaks``).
    """
    return [Caption(tuple(tuple(line) for line in lines if line)) for lines in caption_breaks.captions(words, layout)]


# --- ASS (burned in) -------------------------------------------------------------------------------


def ass_text(text: str) -> str:
    """Plain text that libass draws literally: no override blocks, no escapes, one line."""
    text = clean_text(text)
    return text.replace("\\", "\\" + _WJ).replace("{", "\uff5b").replace("}", "\uff5d")


def ass_colour(hex_colour: str, alpha: int = 0) -> str:
    """``#RRGGBB`` -> ASS ``&HAABBGGRR``."""
    value = hex_colour.strip().lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"not a #RRGGBB colour: {hex_colour!r}")
    r, g, b = value[0:2], value[2:4], value[4:6]
    return f"&H{alpha:02X}{b}{g}{r}".upper()


def _ts(seconds: float) -> str:
    cs = max(0, int(round(seconds * 100)))
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def ass_document(captions: Sequence[Caption], *, width: int, height: int, aspect: str, style: CaptionStyle,
                 duration: float, overlay: Overlay | None = None, picture_bottom: int | None = None) -> str:
    """A complete ASS script: one event per spoken word, the current word in the highlight colour.

    ``picture_bottom``: where the picture ends when it sits on a blurred band (square and vertical of a
    wider source). Bottom captions then go in the band below it, off the broadcaster's own lower third.
    """
    short = min(width, height)
    base = {"landscape": 0.065 * height, "square": 0.07 * short, "vertical": 0.075 * short}[aspect]
    size = max(8, round(base * style.size))
    side = round(width * (0.1 if aspect == "vertical" else 0.06))
    # Safe areas: phone apps cover the bottom ~20% of vertical video and the right edge with buttons.
    bottom = {"landscape": 0.07, "square": 0.12, "vertical": 0.24}[aspect]
    alignment, margin_v = {"bottom": (2, round(height * bottom)), "middle": (5, 0),
                           "top": (8, round(height * (0.14 if aspect == "vertical" else 0.07)))}[style.position]
    border = max(1, round(size * 0.08))
    lines_needed = max((len(c.lines) for c in captions), default=1)
    gap = round(size * 0.35)
    if (style.position == "bottom" and picture_bottom is not None
            and height - picture_bottom - gap >= lines_needed * size * 1.2 + height * 0.01):
        alignment, margin_v = 8, picture_bottom + gap  # top-aligned, just under the picture
    primary, outline = ass_colour(style.colour), ass_colour(style.outline)
    # The box (BorderStyle 3) is drawn in the outline colour, a little see-through; its padding is the outline.
    border_style, box_pad = (3, max(border, round(size * 0.18))) if style.box else (1, border)
    box_colour = ass_colour(style.outline, alpha=0x30) if style.box else outline
    highlight = ass_colour(style.highlight)
    font = ass_text(style.font).replace(",", " ")
    small = max(8, round(size * 0.55))
    lines = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}", "WrapStyle: 0",
        "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{font},{size},{primary},{highlight},{box_colour},&H80000000,-1,0,0,0,100,100,0,0,"
        f"{border_style},{box_pad},0,{alignment},{side},{side},{margin_v},1",
        f"Style: Strap,{font},{round(size * 0.8)},&H00FFFFFF,&H00FFFFFF,&H00000000,&H99000000,-1,0,0,0,100,100,0,0,3,"
        f"{border},0,7,{side},{side},{round(height * 0.06)},1",
        f"Style: Imprint,{font},{small},&H00FFFFFF,&H00FFFFFF,&H00000000,&H99000000,0,0,0,0,100,100,0,0,1,"
        f"{max(1, border // 2)},0,8,{side},{side},{round(height * 0.03)},1",
        f"Style: EndCard,{font},{round(size * 0.9)},&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,"
        f"0,0,5,{side},{side},0,1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    case = str.upper if style.uppercase else (lambda s: s)
    for i, caption in enumerate(captions):
        words = caption.words
        # The caption stays up until the next one starts (or a moment after its last word).
        next_start = captions[i + 1].start if i + 1 < len(captions) else duration
        hold = min(next_start, caption.end + 0.6, duration)
        for j, word in enumerate(words):
            start = caption.start if j == 0 else word.start
            end = words[j + 1].start if j + 1 < len(words) else hold
            if end <= start:
                continue
            parts = []
            for line in caption.lines:
                texts = []
                for w in line:
                    t = ass_text(case(w.text))
                    texts.append(f"{{\\c{highlight}}}{t}{{\\c{primary}}}" if w is word else t)
                parts.append(" ".join(texts))
            lines.append(f"Dialogue: 1,{_ts(start)},{_ts(end)},Caption,,0,0,0,," + NEWLINE.join(parts))
    if overlay is not None:
        lines += _overlay_events(overlay, duration)
    return "\n".join(lines) + "\n"


def _overlay_events(overlay: Overlay, duration: float) -> list[str]:
    events = []
    if overlay.strap_name:
        text = ass_text(overlay.strap_name)
        if overlay.strap_role:
            text += "\\N{\\b0\\fscx80\\fscy80}" + ass_text(overlay.strap_role)
        events.append(f"Dialogue: 2,{_ts(0.2)},{_ts(min(overlay.strap_seconds, duration))},Strap,,0,0,0,,{text}")
    card = overlay.end_card_from
    if card is not None:
        parts = [ass_text(overlay.end_card_title)] if overlay.end_card_title else []
        if overlay.imprint:
            parts.append("{\\b0\\fscx60\\fscy60}" + ass_text(overlay.imprint))
        events.append(f"Dialogue: 3,{_ts(card)},{_ts(duration)},EndCard,,0,0,0,," + (NEWLINE * 2).join(parts))
    elif overlay.imprint:
        events.append(f"Dialogue: 3,{_ts(0)},{_ts(duration)},Imprint,,0,0,0,,{ass_text(overlay.imprint)}")
    return events


# --- sidecars ---------------------------------------------------------------------------------------


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3600000)
    m, rem = divmod(rem, 60000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(captions: Sequence[Caption]) -> str:
    blocks = []
    for i, c in enumerate(captions, 1):
        text = "\n".join(clean_text(" ".join(w.text for w in line)).replace("-->", "->") for line in c.lines)
        blocks.append(f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{text}\n")
    return "\n".join(blocks)


def vtt(captions: Sequence[Caption]) -> str:
    blocks = ["WEBVTT\n"]
    for c in captions:
        text = "\n".join(_vtt_escape(" ".join(w.text for w in line)) for line in c.lines)
        blocks.append(f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
