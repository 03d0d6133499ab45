"""The desk's lists in a real browser: live progress, resumable upload, search, phone width, axe-core."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clipper.models import Clip, Person, Recording, Upload
from clipper.recordings import create_recording, save_transcript
from tests.clipper.test_search import transcript

pytestmark = pytest.mark.browser


def _add_recordings(live) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with live.sessions() as db:
        ready = create_recording(db, title="PMQs 1 July", channel="BBC Parliament")
        ready.status, ready.duration, ready.aired_at = "ready", 3723.0, datetime(2026, 7, 1, 11)
        save_transcript(db, ready, transcript(
            (0.0, "The Prime Minister said the cost of living crisis is over,", "Speaker"),
            (5.0, "but families in Leeds East are still paying more for food.", "Speaker"),
        ))
        busy = create_recording(db, title="Newsnight <script>window.pwned=1</script>", channel="BBC Two")
        busy.status, busy.progress, busy.source = "transcribing", 0.2, "url"
        db.commit()
        return {"ready": ready.id, "busy": busy.id}


def test_recordings_list_updates_live_and_is_accessible(page_as, live_server, screenshot, check_a11y) -> None:  # type: ignore[no-untyped-def]
    ids = _add_recordings(live_server)
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/recordings")
    row = page.locator(f'tr[data-id="{ids["busy"]}"]')
    assert row.locator(".status").inner_text() == "Transcribing"
    assert page.evaluate("window.pwned") is None  # the title is shown as text
    assert "<script>" in row.inner_text()
    check_a11y(page)
    screenshot(page, "recordings-list")

    loaded = page.evaluate("performance.timeOrigin")
    with live_server.sessions() as db:
        rec = db.get(Recording, ids["busy"])
        rec.progress = 0.7
        db.commit()
    page.wait_for_function(f"() => document.querySelector('tr[data-id=\"{ids['busy']}\"] progress')?.value >= 0.7")
    with live_server.sessions() as db:
        rec = db.get(Recording, ids["busy"])
        rec.status, rec.duration = "ready", 2700.0
        db.commit()
    row.locator(".status-ready").wait_for()
    assert row.locator(".rec-duration").inner_text() == "45:00"
    assert page.evaluate("performance.timeOrigin") == loaded  # no page reload


def test_upload_resumes_where_it_stopped(page_as, live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(6 * 1024 * 1024 + 123)  # two 5 MiB chunks' worth
    path = tmp_path / "interview.mp4"
    path.write_bytes(data)
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/recordings/add")
    page.set_input_files("#file", str(path))
    page.fill("#upload-title", "Interview on <b>Radio</b>")
    page.fill("#upload-channel", "LBC")
    # An earlier attempt (the same client) sent the first chunk, then stopped.
    sent = page.evaluate("""async () => {
        const {Upload} = await import('/static/upload.js');
        const file = document.querySelector('#file').files[0];
        let sent = 0;
        const upload = new Upload(file, {endpoint: '/api/v1/uploads',
            metadata: {title: document.querySelector('#upload-title').value,
                       channel: document.querySelector('#upload-channel').value},
            onProgress: (n) => { sent = n; if (n > 0) upload.pause(); }});
        await upload.start();
        return sent;
    }""")
    assert sent == 5 * 1024 * 1024
    page.click("#by-upload button[type=submit]")
    page.wait_for_url(f"{live_server.url}/recordings", timeout=30_000)
    with live_server.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Upload)) == 1  # carried on; no second upload
        rec = db.scalar(select(Recording).where(Recording.title == "Interview on <b>Radio</b>"))
        assert rec is not None and rec.status == "queued" and rec.channel == "LBC"
        upload_id = db.scalar(select(Upload.id))
    stored = live_server.app.extensions["clipper.store"]
    from clipper import recordings as recording_service

    # Each request's bytes wait in storage as a piece (any web host may take the next); ingest joins them.
    keys = sorted(stored.keys(recording_service.upload_pieces_prefix(upload_id)))
    assert len(keys) == 2
    joined = b"".join(stored.open(k).read() for k in keys)
    assert hashlib.sha256(joined).hexdigest() == hashlib.sha256(data).hexdigest(), keys
    assert page.locator("tr", has_text="Interview on <b>Radio</b>").locator(".status").inner_text() == "Queued"


def test_search_finds_a_phrase_and_opens_the_moment(page_as, live_server, screenshot, check_a11y) -> None:  # type: ignore[no-untyped-def]
    ids = _add_recordings(live_server)
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/search")
    page.fill("#q", '"cost of living"')
    page.press("#q", "Enter")
    page.wait_for_load_state()
    hit = page.locator(".hit").first
    assert "PMQs 1 July" in hit.inner_text() and "BBC Parliament" in hit.inner_text()
    assert hit.locator("mark").all_inner_texts() == ["cost", "of", "living"]
    check_a11y(page)
    page.click("text=Save search")
    page.locator(".saved a", has_text='"cost of living"').wait_for()
    screenshot(page, "search-results")
    href = hit.locator("a").get_attribute("href")
    assert href.startswith(f"/recordings/{ids['ready']}?t=") and "q=%22cost+of+living%22" in href


def test_clip_lists_and_admin_pages_pass_axe(page_as, live_server, check_a11y) -> None:  # type: ignore[no-untyped-def]
    ids = _add_recordings(live_server)
    page = page_as("admin")
    with live_server.sessions() as db:
        db.add(Clip(recording_id=ids["ready"], start=1.0, end=4.0, title="Cost of living", status="draft",
                    created_by_id=page.clipper_user.id))
        db.add(Person(name="Jo Bloggs", role="MP", constituency="Leeds East"))
        db.commit()
    for path in ("/desk", "/clips/mine", "/clips", "/recordings/add", "/admin/users", "/admin/people"):
        page.goto(f"{live_server.url}{path}")
        check_a11y(page)
    page.goto(f"{live_server.url}/admin/users")
    page.fill("input[name=email]", "new@example.org")
    page.select_option("select[name=role] >> nth=0", "volunteer")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.input_value("#one-time-link")
    assert "/password/" in link
    check_a11y(page)


def test_phone_width(page_as, live_server, screenshot, check_a11y) -> None:  # type: ignore[no-untyped-def]
    _add_recordings(live_server)
    page = page_as("volunteer", width=390, height=844)
    for path, name in (("/recordings", "recordings-list-phone"), ("/search?q=families", "search-phone")):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} scrolls sideways"
        check_a11y(page)
        screenshot(page, name)


def test_add_by_link_explains_a_refused_link(page_as, live_server) -> None:  # type: ignore[no-untyped-def]
    page = page_as("volunteer")
    page.goto(f"{live_server.url}/recordings/add")
    page.fill("#url", "http://127.0.0.1:9/secret.mp4")
    page.click("#by-url button[type=submit]")
    status = page.locator("#by-url .form-status.error-text")
    status.wait_for()
    assert status.inner_text().strip(), "the reason is shown"
    assert page.url.endswith("/recordings/add")  # nothing lost: the form is still filled in
    assert page.input_value("#url") == "http://127.0.0.1:9/secret.mp4"
    with live_server.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Recording)) == 0


def test_clip_list_shows_render_progress_live(page_as, live_server) -> None:  # type: ignore[no-untyped-def]
    from clipper.models import Render

    ids = _add_recordings(live_server)
    page = page_as("volunteer")
    with live_server.sessions() as db:
        clip = Clip(recording_id=ids["ready"], start=1.0, end=4.0, title="Cost of living", status="approved",
                    created_by_id=page.clipper_user.id)
        clip.renders = [Render(preset="square", status="rendering", progress=0.3)]
        db.add(clip)
        db.commit()
        clip_id, render_id = clip.id, clip.renders[0].id
    page.goto(f"{live_server.url}/clips/mine")
    row = page.locator(f'tr[data-id="{clip_id}"]')
    assert row.locator(".status").inner_text() == "Rendering"
    with live_server.sessions() as db:
        render = db.get(Render, render_id)
        render.status, render.progress, render.storage_key = "done", 1.0, f"clips/{clip_id}/square.mp4"
        db.commit()
    row.locator(".status-approved").wait_for()
    assert row.locator(".clip-files a").inner_text() == "Square"
