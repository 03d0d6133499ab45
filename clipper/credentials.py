"""Channel credentials, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key is the ``credentials_key`` setting or, when empty, derived from the secret key; either way the
caller passes it in. Decrypted values exist only inside an adapter call: they are never logged (the
``Secrets`` repr hides them), never rendered and never sent back to the browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

from clipper.errors import ClipperError


class CredentialsUnreadable(ClipperError):
    """Saved credentials that the current key cannot decrypt (the key changed)."""


class Secrets(dict[str, str]):
    """A dict of secrets whose repr never shows a value."""

    def __repr__(self) -> str:
        return f"Secrets({', '.join(sorted(self))}: hidden)"

    __str__ = __repr__


def fernet(key_material: str) -> Fernet:
    if not key_material:
        raise ClipperError("No key to encrypt channel credentials: set CLIPPER_SECRET_KEY.", expected=False)
    digest = hashlib.sha256(b"clipper channel credentials\0" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(values: Mapping[str, str], key_material: str) -> str:
    return fernet(key_material).encrypt(json.dumps(dict(values), sort_keys=True).encode()).decode()


def decrypt(token: str, key_material: str) -> Secrets:
    if not token:
        return Secrets()
    try:
        return Secrets(json.loads(fernet(key_material).decrypt(token.encode())))
    except (InvalidToken, ValueError):
        raise CredentialsUnreadable("This channel's saved credentials can no longer be read (the encryption "
                                    "key changed). An admin must enter them again on the Channels page.") from None
