"""The live desk in Chromium: a recording still on air plays its stored segments (an HLS playlist
through hls.js), its transcript grows without a reload, and a volunteer clips words that aired a
moment ago while recording goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clipper.models import Clip
from tests.live.desk_setup import add_segment, add_words, finish, fmp4_segments, live_recording, stream_segments

pytestmark = pytest.mark.browser
FIRST = "The minister said the new hospital will open next spring."
SECOND = "We will not raise taxes on working people."


def _store(live):  # type: ignore[no-untyped-def]
    return live.app.extensions["clipper.store"]


def test_a_live_recording_grows_plays_and_is_clipped_while_it_airs(live_server, page_as, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  screenshot, check_a11y) -> None:
    segments = stream_segments(tmp_path / "stream", 3)
    rid = live_recording(live_server.sessions)
    for i in range(2):
        add_segment(live_server.sessions, _store(live_server), rid, i, segments[i], start=4.0 * i, duration=4.0)
    add_words(live_server.sessions, rid, FIRST, 1.0, speaker="Speaker 1")
    first_count = len(FIRST.split())

    page = page_as("volunteer")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/recordings/{rid}")
    page.wait_for_selector("body[data-desk-ready='1']")
    expect(page.locator("#live-status")).to_contain_text("Live")
    expect(page.locator("#transcript .w")).to_have_count(first_count)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # The player plays what is recorded so far, on the recording's clock.
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=20_000)
    assert abs(page.evaluate("document.getElementById('player').duration") - 8.0) < 0.3
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; v.currentTime = 5; v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 5.5", timeout=20_000)

    # More air is stored and transcribed: the page shows it by itself, and the player reaches it.
    add_segment(live_server.sessions, _store(live_server), rid, 2, segments[2], start=8.0, duration=4.0)
    add_words(live_server.sessions, rid, SECOND, 8.0, speaker="Speaker 2", until=12.0)
    expect(page.locator("#transcript .w")).to_have_count(first_count + len(SECOND.split()), timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#transcript .spk")).to_have_text(["Speaker 1", "Speaker 2"])
    expect(page.locator("#rec-duration")).to_have_text("0:12.00")
    expect(page.locator("#live-edge")).to_contain_text("transcribed up to 0:12.00")
    page.wait_for_function("() => document.getElementById('player').duration > 11.5", timeout=20_000)
    page.evaluate("() => { const v = document.getElementById('player'); v.currentTime = 9; v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 9.5", timeout=20_000)
    screenshot(page, "live-desk")
    check_a11y(page)

    # Clip "not raise taxes" while the broadcast goes on.
    words = page.locator("#transcript .w")
    words.nth(first_count + 2).click()
    words.nth(first_count + 4).click(modifiers=["Shift"])
    expect(page.locator("#in-time")).to_have_text("0:09.00")
    page.fill("#title", "No tax rise")
    page.click("#save")
    page.wait_for_selector("#clip-status:has-text('draft')")
    with live_server.sessions() as db:
        clip = db.scalars(select(Clip).where(Clip.recording_id == rid)).one()
        assert (clip.start, clip.end) == pytest.approx((9.0, 10.4), abs=0.05)
        assert " ".join(w["text"] for w in clip.caption_words) == "not raise taxes"

    finish(live_server.sessions, rid)  # the stream ended
    expect(page.locator("#live-status")).to_contain_text("ended", timeout=15_000)
    # Finished, it still plays from its segments (their playlist now ends): the same clock as on air.
    page.reload()
    page.wait_for_selector("body[data-desk-ready='1']")
    assert page.locator("#live-status").count() == 0
    page.wait_for_function("() => Math.abs(document.getElementById('player').duration - 12) < 0.3", timeout=20_000)
    assert not errors, errors


def test_a_fragmented_mp4_live_recording_plays_on_the_desk(live_server, page_as, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rid = live_recording(live_server.sessions)
    for i, path in enumerate(fmp4_segments(tmp_path / "fmp4", 3)):
        add_segment(live_server.sessions, _store(live_server), rid, i, path, start=4.0 * i, duration=4.0)
    add_words(live_server.sessions, rid, FIRST, 1.0)
    page = page_as("volunteer")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/recordings/{rid}")
    page.wait_for_selector("body[data-desk-ready='1']")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=20_000)
    assert abs(page.evaluate("document.getElementById('player').duration") - 12.0) < 0.3
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; v.currentTime = 6; v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 6.5", timeout=20_000)
    assert not errors, errors
