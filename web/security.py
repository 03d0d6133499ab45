"""Headers every page carries, and which proxies may tell us the client's address.

``init_app`` adds one ``after_request``: a Content-Security-Policy with no inline scripts or styles
and ``frame-ancestors 'none'`` on every HTML page, and ``nosniff`` / ``Referrer-Policy`` on every
response. A view that sets its own Content-Security-Policy keeps it (the public embed page allows
framing that way) and then gets no ``X-Frame-Options``. Nothing here sets a cookie.

``TrustedProxies`` believes ``X-Forwarded-For`` only when the connection comes from one of the
``trusted_proxies`` networks; otherwise the connecting address is the client's, whatever it claims.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response

from clipper.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def media_origins(settings: Settings) -> list[str]:
    """Where pictures, video and waveforms come from: our own URL, and the object store's when it is S3."""
    origins = []
    for url in (settings.public_base_url, settings.s3_public_base_url, settings.s3_endpoint_url):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if settings.storage_url.startswith("s3://") and not settings.s3_endpoint_url:
        origins.append("https://*.amazonaws.com")  # presigned AWS links
    return sorted(set(origins))


def content_security_policy(settings: Settings) -> str:
    media = " ".join(["'self'", *media_origins(settings)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {media} data: blob:",
        f"media-src {media} blob:",
        f"connect-src {media}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _secure_headers(policy: str) -> Callable[[Response], Response]:
    def add(response: Response) -> Response:
        headers = response.headers
        if response.mimetype == "text/html" and "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = policy
            headers.setdefault("X-Frame-Options", "DENY")  # for browsers that predate frame-ancestors
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")  # signed links never leak to other sites
        return response

    return add


class TrustedProxies:
    """WSGI middleware: the client address from X-Forwarded-For, only behind a proxy we trust."""

    def __init__(self, app: Any, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks: list[Network] = [ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip()]

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        if self.networks and self.trusted(peer):
            client = peer
            # Walk back from our side: each trusted proxy vouches for the hop before it.
            for hop in reversed([h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]):
                try:
                    ipaddress.ip_address(hop)
                except ValueError:
                    break  # a garbled entry: stop at the last address we could vouch for
                client = hop
                if not self.trusted(hop):
                    break
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["CLIPPER"]
    app.after_request(_secure_headers(content_security_policy(settings)))
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
