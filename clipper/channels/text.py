"""Counting a post's text the way each platform does: characters, or graphemes for Bluesky."""

from __future__ import annotations

import regex

from clipper.channels import Limits, Permanent

_GRAPHEME = regex.compile(r"\X")


def length(text: str, how: str = "characters") -> int:
    """Graphemes count what a reader sees as one character (an emoji with skin tone, a flag) once."""
    if how == "graphemes":
        return len(_GRAPHEME.findall(text))
    return len(text)


def check_text(text: str, limits: Limits, platform: str) -> None:
    n = length(text, limits.count)
    if n > limits.max_chars:
        raise Permanent(f"The text is {n} {limits.count} long; {platform} allows {limits.max_chars}. "
                        f"Shorten it by {n - limits.max_chars}.")
