"""Security headers on every page of the URL map, and pages that hold no inline script or style.

Every GET route is requested as an admin and as an anonymous visitor (a real recording behind the
``<int:...>`` ids, so the recording page renders in full). Every response carries ``nosniff`` and a
Referrer-Policy; every HTML one a Content-Security-Policy that allows scripts and styles from this
site only and no framing. The pages themselves are parsed: no inline ``<script>``, ``on*=`` handler,
``style=`` attribute or ``<style>`` element, which that policy would block.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Response

from clipper.recordings import create_recording
from clipper.settings import Settings
from tests.web.forms import logged_in
from web.auth import public
from web.security import content_security_policy

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
ARGS = {"filename": "clipper.css", "aspect": "square", "token": "not-a-token", "key": "clips/1/square.mp4"}


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.found += [f"<{tag} {name}=...>" for name in names if name.startswith("on") or name == "style"]
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self._in_script = True

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def _get_paths(app: Any, recording_id: int) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        values = {arg: recording_id if rule._converters[arg].__class__.__name__ == "IntegerConverter"
                  else ARGS.get(arg, "x") for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            paths.append(url_for(rule.endpoint, **values))
    return sorted(set(paths))


def _check(response: Any, path: str) -> bool:
    """Assert the headers; True when the response is an HTML page."""
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    if response.mimetype != "text/html":
        return False
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (path, csp)
    assert directives.get("script-src") == ["'self'"], (path, csp)
    assert directives.get("style-src") == ["'self'"], (path, csp)
    assert directives.get("object-src") == ["'none'"], (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert response.headers.get("X-Frame-Options") == "DENY", path
    return True


def test_every_get_route_carries_the_headers_and_no_inline_code(app, ctx) -> None:
    with ctx.sessions() as db:
        recording = create_recording(db, title="Budget debate", created_by_id=None)
        recording.status = "ready"
        db.commit()
        recording_id = recording.id
    admin, anonymous = app.test_client(), app.test_client()
    logged_in(admin, ctx, "admin")
    paths = _get_paths(app, recording_id)
    assert len(paths) > 20  # the whole map, not a sample
    pages = 0
    for client in (admin, anonymous):
        for path in paths:
            response = client.get(path)
            if _check(response, path):
                pages += 1
                assert _inline_code(response.get_data(as_text=True)) == [], path
    assert pages > 20
    page = admin.get(f"/recordings/{recording_id}")
    assert page.status_code == 200 and "prefetch_words.js" in page.get_data(as_text=True)


def test_no_template_holds_inline_script_or_style() -> None:
    """Also the branches the requests above did not render (flash messages, other statuses)."""
    found = {str(p.relative_to(TEMPLATES)): _inline_code(p.read_text()) for p in TEMPLATES.rglob("*.html")}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_error_pages_and_redirects_carry_them_too(app, client) -> None:
    for response in (client.get("/no-such-page"), client.get("/"), client.post("/login", data={})):
        assert _check(response, response.request.path)


def test_a_view_that_sets_its_own_policy_keeps_it_and_sets_no_cookie(app, client) -> None:
    """The contract with the public embed page: its own frame-ancestors stand, and anonymous public
    pages get no cookie from these headers."""

    @public
    def embed() -> Response:
        return Response("<p>clip</p>", mimetype="text/html",
                        headers={"Content-Security-Policy": "default-src 'self'; frame-ancestors *"})

    app.add_url_rule("/test-embed", "test_embed", embed)
    response = client.get("/test-embed")
    assert response.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors *"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in client.get("/healthz").headers


def test_media_from_the_object_store_is_allowed(settings: Settings) -> None:
    s3 = dataclasses.replace(settings, storage_url="s3://bucket/clipper", s3_public_base_url="https://cdn.example.org/c",
                             s3_endpoint_url="https://minio.example.org:9000")
    directives = {d.split()[0]: d.split()[1:] for d in content_security_policy(s3).split("; ")}
    for name in ("img-src", "media-src", "connect-src"):
        assert {"https://cdn.example.org", "https://minio.example.org:9000"} <= set(directives[name]), name
    assert directives["script-src"] == ["'self'"]
