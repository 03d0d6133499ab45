"""The recording page in Chromium: marking a clip with the mouse and keyboard, fixing a caption word,
saving, submitting; a stale form; a session that ends mid-edit; and the whole flow on a real upload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clipper.models import Clip, Recording, Word
from clipper.recordings import save_transcript
from clipper.transcript import Segment, Transcript
from clipper.transcript import Word as TWord
from tests.browser.conftest import LiveServer
from tests.media import speech_video

pytestmark = pytest.mark.browser
FPS = 25.0


def _ready_recording(live: LiveServer, sentences: list[tuple[str, str]], title: str = "Evening news") -> int:
    """A transcribed recording without media: words 0.4 s long, 0.1 s apart, a segment per sentence."""
    segments, t = [], 1.0
    for speaker, sentence in sentences:
        words = []
        for text in sentence.split():
            words.append(TWord(round(t, 3), round(t + 0.4, 3), text, 0.9))
            t += 0.5
        segments.append(Segment(words[0].start, words[-1].end, sentence, tuple(words), speaker))
        t += 1.0
    with live.sessions() as db:
        rec = Recording(title=title, status="ready", duration=t + 1, probe={"fps": FPS})
        db.add(rec)
        db.flush()
        save_transcript(db, rec, Transcript("en", t + 1, tuple(segments)))
        db.commit()
        return rec.id


def _words(live: LiveServer, recording_id: int) -> list[tuple[float, float, str]]:
    with live.sessions() as db:
        return [(w.start, w.end, w.text) for w in
                db.scalars(select(Word).where(Word.recording_id == recording_id).order_by(Word.idx))]


def _word(page: Any, i: int) -> Any:
    return page.locator(f'#transcript .w[data-i="{i}"]')


def _park(page: Any, i: int) -> None:
    """The playhead exactly at word ``i``, paused: a click plays from the word, K pauses, → then ← land on it."""
    _word(page, i).click()
    expect(page.locator("#play")).to_have_text("Pause")
    page.locator("#transcript").focus()
    page.keyboard.press("k")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-desk-ready='1']")


def _saved_clip(live: LiveServer) -> Clip:
    with live.sessions() as db:
        return db.scalars(select(Clip).order_by(Clip.id.desc())).first()


SENTENCES = [("Anna Reed", "The minister said the new hospital will open next spring."),
             ("Tom Hale", "We will not raise taxes on working people.")]


def test_mark_fix_save_and_submit_with_mouse_and_keyboard(live_server, page_as, screenshot, check_a11y) -> None:
    rid = _ready_recording(live_server, SENTENCES)
    words = _words(live_server, rid)
    page = page_as("volunteer")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open(page, f"{live_server.url}/recordings/{rid}")
    assert page.locator("#transcript .spk").all_inner_texts() == ["Anna Reed", "Tom Hale"]  # speaker turns
    check_a11y(page)

    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    page.keyboard.press("Escape")

    _word(page, 4).click()  # "new": seeks there
    _word(page, 6).click(modifiers=["Shift"])  # "will": the selection is new … will
    expect(page.locator("#in-time")).to_have_text("0:03.00")
    expect(page.locator("#out-time")).to_have_text("0:04.40")
    page.locator("#transcript").focus()
    page.keyboard.press("Shift+ArrowRight")  # out point one word later: the end of "open"
    expect(page.locator("#out-time")).to_have_text("0:04.90")
    assert page.locator("#caption-words input").count() == 4

    page.locator("#caption-words input").nth(1).fill("HOSPITAL")
    page.fill("#title", "<b>New hospital</b> by spring")
    page.fill("#tags", "health, nhs")
    screenshot(page, "recording-selection")
    page.locator("#title").press("Enter")  # Enter saves
    page.wait_for_selector("#clip-status:has-text('draft')")
    clip = _saved_clip(live_server)
    assert abs(clip.start - words[4][0]) <= 1 / FPS and abs(clip.end - words[7][1]) <= 1 / FPS
    assert " ".join(w["text"] for w in clip.caption_words) == "new HOSPITAL will open"
    assert clip.title == "<b>New hospital</b> by spring" and clip.tags == ["health", "nhs"]
    expect(page.locator("#desk-title")).to_have_text("Evening news")

    page.click("#submit-clip")
    page.wait_for_selector("#clip-status:has-text('submitted')")
    assert _saved_clip(live_server).status == "submitted"
    expect(page.locator("#clip-list li")).to_have_text(["0:03.00–0:04.90 <b>New hospital</b> by spring submitted"])
    check_a11y(page)  # with a selection, caption inputs and messages on the page
    # the clip is on the timeline and a reload opens it again with the fix shown
    _open(page, f"{live_server.url}/recordings/{rid}?clip={clip.id}")
    assert page.locator("#caption-words input.fixed").input_value() == "HOSPITAL"
    assert page.locator("#title").input_value() == "<b>New hospital</b> by spring"
    assert not errors, errors


def test_frames_io_keys_and_bad_ranges(live_server, page_as) -> None:
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    _park(page, 2)  # playhead at 2.0 s
    page.keyboard.press("i")
    page.keyboard.press("Period")  # one frame on
    page.keyboard.press("Period")
    expect(page.locator("#clock")).to_have_text("0:02.08")
    _park(page, 1)
    page.keyboard.press("o")  # out (1.5 s) before in (2.0 s)
    expect(page.locator("#duration")).to_contain_text("before the in point")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("before the in point")
    assert _saved_clip(live_server) is None
    page.keyboard.press("Control+Period")  # in point one frame later
    for _ in range(3):  # out point three word ends later: minister, said, the
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#in-time")).to_have_text("0:02.04")
    expect(page.locator("#out-time")).to_have_text("0:02.90")
    # loop-preview plays the selection over and over; K stops it, L plays, J jumps back
    page.locator("#transcript").focus()
    page.keyboard.press("p")
    expect(page.locator("#loop")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1500)  # longer than the 0.86 s selection: it has looped at least once
    assert 2.04 - 0.05 <= page.evaluate("window.__deskPlayer.time") <= 2.90 + 0.05
    page.keyboard.press("k")
    expect(page.locator("#play")).to_have_text("Play")
    page.keyboard.press("l")
    expect(page.locator("#play")).to_have_text("Pause")
    page.keyboard.press("k")
    page.keyboard.press("j")
    assert page.evaluate("window.__deskPlayer.time") < 1.0
    page.fill("#title", "t" * 5000)
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("too long")
    assert _saved_clip(live_server) is None


def test_a_stale_form_is_told_what_changed(live_server, page_as) -> None:
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    _word(page, 0).click()
    _word(page, 3).click(modifiers=["Shift"])
    page.fill("#title", "First")
    page.click("#save")
    page.wait_for_selector("#clip-status:has-text('draft')")
    clip_id = _saved_clip(live_server).id

    other = page_as("social_lead", email="sam@example.org")  # only the owner and leads may change a clip
    _open(other, f"{live_server.url}/recordings/{rid}?clip={clip_id}")
    other.fill("#title", "Sam's better title")
    other.click("#save")
    other.wait_for_selector("#message:has-text('Saved')")

    page.fill("#title", "My title")
    page.click("#save")
    page.wait_for_selector("#message.error")
    text = page.locator("#message").inner_text()
    assert "sam" in text and "Sam's better title" in text
    assert _saved_clip(live_server).title == "Sam's better title"  # not overwritten
    page.click("text=Load their version")
    assert page.locator("#title").input_value() == "Sam's better title"


def test_an_edit_survives_a_session_that_ended(live_server, page_as) -> None:
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    user = page.clipper_user
    _open(page, f"{live_server.url}/recordings/{rid}")
    _word(page, 8).click()
    _word(page, 10).click(modifiers=["Shift"])
    page.fill("#title", "Spring opening")
    page.locator("#caption-words input").nth(0).fill("Spring,")
    page.context.clear_cookies()  # the session ends while the volunteer is editing
    page.click("#save")
    page.wait_for_selector("#relogin")
    expect(page.locator("#message")).to_contain_text("session has ended")
    page.click("#relogin")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-desk-ready='1']")
    assert page.locator("#restored").is_visible()
    assert page.locator("#title").input_value() == "Spring opening"
    assert page.locator("#caption-words input.fixed").input_value() == "Spring,"
    page.click("#save")
    page.wait_for_selector("#clip-status:has-text('draft')")
    clip = _saved_clip(live_server)
    assert clip.title == "Spring opening" and clip.caption_words[0]["text"] == "Spring,"
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('clipper:desk:'))") == []


@pytest.mark.slow
def test_upload_transcribe_search_mark_and_submit(live_server, page_as, screenshot, tmp_path: Path) -> None:
    """The issue's "done when" flow, on a real upload transcribed by the real model."""
    video = speech_video(tmp_path / "minister.mp4")
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/recordings/add")
    page.set_input_files("#file", str(video))
    page.fill("#upload-title", "Minister on hospitals")
    page.click("#by-upload button[type=submit]")
    page.wait_for_url(re.compile(r"/recordings$"))
    page.click("text=Minister on hospitals")  # the recording page waits for its transcript ...
    expect(page.locator("#not-ready")).to_be_visible()
    live_server.start_worker()  # ... while a real `clipper worker` process ingests and transcribes it
    page.wait_for_selector("body[data-desk-ready='1']", timeout=180_000)  # the page reloads itself when ready
    with live_server.sessions() as db:
        rec = db.scalars(select(Recording)).one()
        assert rec.status == "ready", rec.error
        rid = rec.id
    words = _words(live_server, rid)
    texts = [re.sub(r"[^\w]", "", w[2]).lower() for w in words]
    first = texts.index("hospital") - 1  # "new"

    page.goto(f'{live_server.url}/search?q="new hospital"')
    page.click(".hits a.hit-link")
    page.wait_for_selector("body[data-desk-ready='1']")
    assert page.locator("#transcript .hit").count() >= 1
    _word(page, first).click()
    _word(page, first + 2).click(modifiers=["Shift"])  # new hospital will
    page.locator("#transcript").focus()
    page.keyboard.press("Shift+ArrowRight")  # … open
    page.locator("#caption-words input").nth(1).fill("Hospital")
    page.fill("#title", "New hospital next spring")
    screenshot(page, "recording-selection-upload")
    page.click("#save")
    page.wait_for_selector("#clip-status:has-text('draft')")
    page.click("#submit-clip")
    page.wait_for_selector("#clip-status:has-text('submitted')")
    clip = _saved_clip(live_server)
    assert clip.status == "submitted"
    assert abs(clip.start - words[first][0]) <= 1 / FPS
    assert abs(clip.end - words[first + 3][1]) <= 1 / FPS
    assert [w["text"] for w in clip.caption_words][1] == "Hospital"


def test_the_page_works_at_phone_width(live_server, page_as, screenshot, check_a11y) -> None:
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer", width=390, height=844)
    _open(page, f"{live_server.url}/recordings/{rid}")
    _word(page, 4).click()
    _word(page, 6).click(modifiers=["Shift"])
    page.click('[data-nudge="out:+word"]')  # the nudge buttons do what the keys do
    expect(page.locator("#out-time")).to_have_text("0:04.90")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the side
    check_a11y(page)
    screenshot(page, "recording-phone")


def test_a_recording_with_no_speech_says_so(live_server, page_as) -> None:  # type: ignore[no-untyped-def]
    """Transcribed, and nobody spoke (music, silence): a note in the transcript's place, not an error."""
    rid = _ready_recording(live_server, [], title="Jingles")
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    expect(page.locator("#transcript")).to_have_text(re.compile(r"^No speech was found in this recording"))
    expect(page.locator("#message")).to_be_empty()


def test_playback_highlights_and_scrolls_unless_told_not_to(live_server, page_as) -> None:
    long = [("", f"Sentence number {n} is about the budget and the hospital plans.") for n in range(150)]
    rid = _ready_recording(live_server, long)
    with live_server.sessions() as db:
        from clipper.models import Person

        db.add(Person(name="Anna Reed", role="Health Secretary", constituency="Leeds East"))
        db.commit()
    page = page_as("volunteer")
    page.add_init_script("window.__deskClock = {rate: 100}")  # the page's own clock, 100x: no video needed
    _open(page, f"{live_server.url}/recordings/{rid}")
    assert page.locator("#people option").get_attribute("label") == "Anna Reed (Health Secretary, Leeds East)"
    box = page.locator("#transcript")
    page.click("#play")
    page.wait_for_timeout(1500)  # ~150 s of recording: a few hundred words
    assert page.evaluate("window.__desk.changes") > 20
    current = int(page.locator("#transcript .w.cur").get_attribute("data-i"))
    assert current > 150
    scrolled = box.evaluate("el => el.scrollTop")
    assert scrolled > 0  # it followed the playhead down the transcript
    page.uncheck("#follow")
    page.wait_for_timeout(1000)
    held = box.evaluate("el => el.scrollTop")
    page.wait_for_timeout(800)
    assert box.evaluate("el => el.scrollTop") == held  # reading ahead: the transcript stays put
    assert int(page.locator("#transcript .w.cur").get_attribute("data-i")) > current  # while playback goes on
    page.click("#play")
    # the timeline seeks where it is clicked
    bounds = page.locator("#timeline").bounding_box()
    page.mouse.click(bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2)
    duration = page.evaluate("window.__deskPlayer.duration")
    assert abs(page.evaluate("window.__deskPlayer.time") - duration / 2) < duration / 50


def test_a_clip_too_long_for_a_format_is_warned_about_before_saving(live_server, page_as) -> None:  # type: ignore[no-untyped-def]
    """The renderer refuses a vertical clip past CLIPPER_RENDER_MAX_VERTICAL_SECONDS; the page says so first."""
    import dataclasses

    live_server.app.config["CLIPPER"] = dataclasses.replace(live_server.settings, render_max_vertical_seconds=2.0)
    rid = _ready_recording(live_server, SENTENCES)
    page = page_as("volunteer")
    _open(page, f"{live_server.url}/recordings/{rid}")
    _word(page, 0).click()
    _word(page, 3).click(modifiers=["Shift"])  # 1.0 – 2.9 s: fits
    expect(page.locator("#duration")).to_have_text("Duration 0:01.90")
    _word(page, 5).click(modifiers=["Shift"])  # 1.0 – 3.9 s: too long for vertical only
    expect(page.locator("#duration")).to_contain_text("Too long for vertical (at most 0:02.00)")
    expect(page.locator("#duration")).to_have_class(re.compile("warning"))
    page.fill("#title", "Long one")
    page.click("#save")  # a warning, not an error: the clip saves (landscape and square still render)
    page.wait_for_selector("#clip-status:has-text('draft')")
