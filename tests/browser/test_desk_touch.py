"""The clipping desk as people found it: a click plays from the word, wall-clock times in the team's zone
and 24-hour whatever the browser's zone, marking a clip on a phone by tapping two words, and a reviewer
playing the rough preview that was made when the clip was submitted."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clipper.models import Clip, Recording
from clipper.recordings import save_transcript
from tests.browser.conftest import LiveServer, log_in
from tests.browser.test_recording_page import SENTENCES, _open, _ready_recording, _saved_clip, _word, _words
from tests.web.test_review_context import _transcript

pytestmark = pytest.mark.browser


def _context(browser: Any, live: LiveServer, role: str, email: str, **options: Any) -> Any:
    user = live.make_user(email, role)
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    log_in(page, live.url, user.email, user.password)
    return page


def test_a_click_plays_from_the_word_and_times_are_the_teams_24_hour(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    rid = _ready_recording(live_server, SENTENCES)
    words = _words(live_server, rid)
    # a browser in New York with US 12-hour habits; the team is in London
    page = _context(browser, live_server, "volunteer", "vol@example.org", viewport={"width": 1280, "height": 900},
                    timezone_id="America/New_York", locale="en-US")
    try:
        _open(page, f"{live_server.url}/recordings/{rid}")
        _word(page, 4).click()  # "new"
        expect(page.locator("#play")).to_have_text("Pause")  # it plays…
        page.wait_for_timeout(400)
        t = page.evaluate("window.__deskPlayer.time")
        assert words[4][0] + 0.1 < t < words[4][0] + 3, t  # …from the word
        _word(page, 6).click(modifiers=["Shift"])  # selecting stops playback at the in point
        expect(page.locator("#play")).to_have_text("Play")
        page.fill("#title", "New hospital")
        page.click("#save")
        page.wait_for_selector("#message:has-text('Saved')")
        text = page.locator("#message").inner_text()
        shown = re.search(r"Saved as a draft at (\d\d):(\d\d):(\d\d)\.", text)
        assert shown, text
        assert "AM" not in text and "PM" not in text
        london = datetime.now(UTC).astimezone(ZoneInfo("Europe/London"))
        assert int(shown.group(1)) in (london.hour, (london.hour - 1) % 24), (text, london)
    finally:
        page.context.close()


def test_a_phone_marks_a_clip_by_tapping_two_words(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    rid = _ready_recording(live_server, SENTENCES)
    words = _words(live_server, rid)
    page = _context(browser, live_server, "volunteer", "phone@example.org", viewport={"width": 390, "height": 844},
                    has_touch=True, is_mobile=True, device_scale_factor=3, timezone_id="UTC")
    try:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _open(page, f"{live_server.url}/recordings/{rid}")
        expect(page.locator("#show-keys")).to_be_hidden()  # no keyboard on a phone
        _word(page, 4).tap()  # first word: "new"
        expect(page.locator("#message")).to_contain_text("tap the clip's last word")
        expect(page.locator("#in-time")).to_have_text("–")  # nothing selected yet
        _word(page, 7).tap()  # last word: "open"
        expect(page.locator("#in-time")).to_have_text("0:03.00")
        expect(page.locator("#out-time")).to_have_text("0:04.90")
        assert page.locator("#caption-words input").count() == 4
        assert page.locator("#transcript .sel").count() == 4
        page.locator("#title").tap()
        page.fill("#title", "Hospital by spring")
        page.locator("#save").tap()
        page.wait_for_selector("#clip-status:has-text('draft')")
        clip = _saved_clip(live_server)
        assert (clip.start, clip.end) == (words[4][0], words[7][1])
        assert " ".join(w["text"] for w in clip.caption_words) == "new hospital will open"
        # tapping backwards works too: last word first
        page.click("#new-clip")
        _word(page, 13).tap()
        _word(page, 11).tap()
        expect(page.locator("#in-time")).to_have_text(f"0:{words[11][0]:05.2f}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "recording-phone-tap-select")
        assert not errors, errors
    finally:
        page.context.close()


def test_the_keys_button_stays_for_a_mouse_and_keyboard(live_server, page_as) -> None:  # type: ignore[no-untyped-def]
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    expect(page.locator("#show-keys")).to_be_visible()


def test_the_reviewer_plays_the_preview_made_on_submit(live_server, browser, tmp_path: Path, check_a11y,  # type: ignore[no-untyped-def]
                                                       screenshot) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_review_context import _broadcast

    transcript, words = _transcript()
    video = _broadcast(tmp_path / "src.mp4", transcript.duration)
    store = live_server.app.extensions["clipper.store"]
    store.put_file("recordings/1/original.mp4", video, content_type="video/mp4")
    with live_server.sessions() as db:
        rec = Recording(title="Evening news", status="ready", duration=transcript.duration,
                        original_key="recordings/1/original.mp4",
                        probe={"fps": 25.0, "width": 320, "height": 180, "has_video": True})
        db.add(rec)
        db.flush()
        save_transcript(db, rec, transcript)
        db.commit()
        rid = rec.id
    vol = _context(browser, live_server, "volunteer", "vol@example.org", viewport={"width": 1280, "height": 900})
    lead = _context(browser, live_server, "social_lead", "lead@example.org", viewport={"width": 1280, "height": 900})
    try:
        _open(vol, f"{live_server.url}/recordings/{rid}")
        _word(vol, 10).click()
        _word(vol, 17).click(modifiers=["Shift"])  # "We will not raise taxes on working people."
        vol.fill("#title", "No tax rises")
        vol.click("#submit-clip")
        vol.wait_for_selector("#clip-status:has-text('submitted')")
        live_server.run_jobs()  # the preview job the submit queued
        with live_server.sessions() as db:
            clip = db.scalars(select(Clip)).one()
        lead.goto(f"{live_server.url}/review")
        video_el = lead.locator(f"#clip-{clip.id} video.review-preview")
        expect(video_el).to_be_visible()
        played = lead.evaluate("""async (sel) => {
            const v = document.querySelector(sel);
            v.muted = true;
            await v.play();
            await new Promise((r) => setTimeout(r, 1200));
            return {time: v.currentTime, duration: v.duration, width: v.videoWidth, error: v.error && v.error.code};
        }""", f"#clip-{clip.id} video.review-preview")
        assert played["error"] is None and played["width"] == 320, played
        assert played["time"] > 0.5, played
        assert abs(played["duration"] - (clip.end - clip.start)) < 1.0, played
        card = lead.locator(f"#clip-{clip.id}")
        expect(card.locator(".marked-by")).to_contain_text("Marked by vol on")
        expect(card.locator(".review-warnings")).to_contain_text("no promoter imprint")
        check_a11y(lead)
        screenshot(lead, "review-with-preview")
        lead.click("text=Audit log")
        expect(lead.locator("#audit tbody tr").first).to_contain_text("submitted for review")
        check_a11y(lead)
    finally:
        vol.context.close()
        lead.context.close()




def test_a_volunteer_deletes_their_draft_on_the_recording_page(live_server, page_as) -> None:  # type: ignore[no-untyped-def]
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    expect(page.locator("#delete-clip")).to_be_hidden()  # nothing saved yet
    _word(page, 0).click()
    _word(page, 3).click(modifiers=["Shift"])
    page.fill("#title", "Not worth it")
    page.click("#save")
    page.wait_for_selector("#clip-status:has-text('draft')")
    assert _saved_clip(live_server) is not None
    page.once("dialog", lambda d: d.accept())
    page.click("#delete-clip")
    expect(page.locator("#message")).to_have_text("Deleted the draft.")
    expect(page.locator("#clip-status")).to_have_text("new")
    expect(page.locator("#clip-list li")).to_have_count(0)
    assert _saved_clip(live_server) is None
