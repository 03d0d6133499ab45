"""The Content-Security-Policy in a real browser: every desk page works with it and nothing is blocked.

Chromium fires a ``securitypolicyviolation`` event for each script, style or connection the policy
blocks; a watcher installed before each page loads collects them, and the test wants none.
"""

from __future__ import annotations

from typing import Any

import pytest

from clipper.models import Recording
from clipper.recordings import save_transcript
from clipper.transcript import Segment, Transcript, Word
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
PAGES = ["/", "/desk", "/recordings", "/recordings/add", "/search?q=budget", "/clips", "/clips/mine", "/review",
         "/admin/users", "/admin/people", "/admin/glossary", "/admin/branding", "/review/audit"]  # "/": the gallery


def _ready_recording(live: LiveServer) -> int:
    words = tuple(Word(1.0 + i * 0.5, 1.4 + i * 0.5, text, 0.9) for i, text in enumerate("the budget is cut".split()))
    with live.sessions() as db:
        rec = Recording(title="Budget", status="ready", duration=5.0, probe={"fps": 25.0})
        db.add(rec)
        db.flush()
        save_transcript(db, rec, Transcript("en", 5.0, (Segment(1.0, 2.9, "the budget is cut", words, ""),)))
        db.commit()
        return rec.id


WATCH = """document.addEventListener("securitypolicyviolation", (e) => {
  (window.__csp = window.__csp || []).push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
});"""


def _blocked(page: Any) -> list[str]:
    """What the policy blocked on the page so far (the browser's securitypolicyviolation events)."""
    page.wait_for_load_state("networkidle")
    return [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]


def test_desk_pages_run_under_the_policy(live_server, page_as, browser) -> None:
    rid = _ready_recording(live_server)
    anonymous = browser.new_context().new_page()
    anonymous.add_init_script(WATCH)
    anonymous.goto(f"{live_server.url}/login")
    blocked = _blocked(anonymous)
    page = page_as("admin")
    page.add_init_script(WATCH)
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        blocked += _blocked(page)
    for path in (f"/recordings/{rid}/edit", f"/recordings/{rid}/delete"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, path
        blocked += _blocked(page)
    page.goto(f"{live_server.url}/recordings/{rid}")
    page.wait_for_selector("body[data-desk-ready='1']")
    assert page.locator('#transcript .w[data-i="1"]').inner_text().strip() == "budget"
    blocked += _blocked(page)
    assert blocked == []
    anonymous.context.close()
