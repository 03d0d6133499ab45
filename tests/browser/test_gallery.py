"""The supporters' gallery on a phone (390×844), as a visitor: filter, open a clip, play it, download a
variant whose bytes are the stored object's; axe-core finds nothing serious; no cookie is set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.clipper.test_render import barcode_video
from tests.gallery_setup import publish_files, publish_rendered
from tests.media import make_video
from workers import context

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_visitor_filters_plays_and_downloads_on_a_phone(browser, live_server, screenshot, check_a11y,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    ctx = context.current()
    source = barcode_video(tmp_path / "barcode.mp4", seconds=3)
    clip_id, slug = publish_rendered(ctx, source, title="Hospitals open in spring", speaker="Jo Bloggs",
                                     tags=["NHS"], post_copy="The minister promised new hospitals. Share it!",
                                     presets=("vertical", "square"))
    other = make_video(tmp_path / "other.mp4", seconds=1.5, size="160x120")
    publish_files(ctx, other, title="Schools answer", speaker="Sam Smith", published_at=datetime(2026, 1, 5, 12))

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                device_scale_factor=2, timezone_id="Europe/London", accept_downloads=True)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.goto(f"{live_server.url}/")
    cards = page.locator(".card")
    assert cards.count() == 2
    check_a11y(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    screenshot(page, "gallery-phone")

    page.select_option("select[name=speaker]", "Jo Bloggs")
    page.get_by_role("button", name="Show clips").click()
    page.wait_for_url("**/?*speaker=Jo+Bloggs*")
    assert cards.count() == 1 and "Hospitals open in spring" in cards.inner_text()

    cards.first.locator("a").click()
    page.wait_for_url(f"**/c/{slug}")
    check_a11y(page)
    played = page.evaluate("""async () => {
        const video = document.querySelector('#player');
        video.muted = true;
        await video.play();
        await new Promise((done) => setTimeout(done, 1000));
        return {time: video.currentTime, width: video.videoWidth, height: video.videoHeight,
                tracks: video.textTracks.length, inline: video.playsInline};
    }""")
    assert played["time"] > 0.2 and (played["width"], played["height"]) == (1080, 1920)
    assert played["tracks"] == 1 and played["inline"] is True
    page.evaluate("document.querySelector('#player').pause()")
    screenshot(page, "gallery-clip-phone")

    with page.expect_download() as info:
        page.locator("a.download[data-preset=square]").click()
    download = info.value
    assert download.suggested_filename == "Hospitals-open-in-spring-square.mp4"
    assert Path(download.path()).read_bytes() == ctx.store.open(f"clips/{clip_id}/square.mp4").read()
    assert "1080×1080" in page.locator(".downloads").inner_text()
    assert phone.cookies() == []  # no cookie, ever, for a visitor
    phone.close()
