"""Plain text people type: refuse the control characters no title or caption has a use for.

A NUL byte in a title is refused by PostgreSQL (an error page instead of a message) and silently kept
by SQLite; other C0 controls confuse subtitle files and terminals. Tabs and line breaks stay allowed:
callers that want one line flatten them.
"""

from __future__ import annotations

import re

from clipper.errors import InvalidInput

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_plain(value: str, label: str) -> str:
    """``value`` unchanged, or ``InvalidInput`` naming the field when it holds a control character."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {label} must be text.")
    found = CONTROL.search(value)
    if found is not None:
        name = "a NUL byte" if found.group() == "\x00" else f"the control character U+{ord(found.group()):04X}"
        raise InvalidInput(f"The {label} contains {name}, which cannot be stored: remove it and try again.")
    return value
