"""Link previews and feeds, read the way platforms read them: the clip page's Open Graph and Twitter
tags (then fetching og:video and og:image as a crawler would), oEmbed against the spec's required
fields and its error rules, and the Atom/RSS feeds parsed back with their enclosures fetched."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.clipper.test_render import barcode_video
from tests.gallery_setup import publish_files, publish_rendered
from tests.media import make_video
from tests.web.test_gallery import Page
from tests.workers.test_gallery_publish import top_level_boxes

BASE = "http://localhost"
ATOM, MEDIA = "{http://www.w3.org/2005/Atom}", "{http://search.yahoo.com/mrss/}"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return barcode_video(tmp_path_factory.mktemp("media") / "barcode.mp4", seconds=3)


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "tiny.mp4", seconds=1.5, size="160x120")


def local(url: str) -> str:
    assert url.startswith(BASE + "/"), url  # absolute links on CLIPPER_PUBLIC_BASE_URL
    return url.removeprefix(BASE)


def dimensions(data: bytes, tmp_path: Path) -> tuple[int, int]:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"]


@pytest.mark.slow
def test_clip_page_previews_play_and_oembed_follows_the_spec(client, ctx, source: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_rendered(ctx, source, title="Hospitals open in spring", speaker="Jo Bloggs",
                               post_copy="The minister promised. Share it!")
    page = Page(client.get(f"/c/{slug}").get_data(as_text=True))
    assert page.meta("og:title") == "Hospitals open in spring"
    assert page.meta("og:description") == "The minister promised. Share it!"
    assert page.meta("og:url") == f"{BASE}/c/{slug}"
    assert page.meta("og:video") == page.meta("og:video:secure_url") == page.meta("twitter:player:stream")
    assert page.meta("og:video:type") == "video/mp4" and page.meta("twitter:card") == "player"

    video = client.get(local(page.meta("og:video")))
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
    assert len(video.data) < 45 * 1024 * 1024 and len(video.data) == int(video.headers["Content-Length"])
    boxes = top_level_boxes(video.data)
    assert boxes.index("moov") < boxes.index("mdat") and "moof" not in boxes
    size = (int(page.meta("og:video:width")), int(page.meta("og:video:height")))
    assert dimensions(video.data, tmp_path) == size == (720, 1280)

    image = client.get(local(page.meta("og:image")))
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.data[:3] == b"\xff\xd8\xff" and len(image.data) < 300 * 1024
    assert dimensions(image.data, tmp_path) == (int(page.meta("og:image:width")), int(page.meta("og:image:height")))

    player = client.get(local(page.meta("twitter:player")))
    assert player.status_code == 200 and "frame-ancestors *" in player.headers["Content-Security-Policy"]
    assert page.meta("twitter:player") == f"{BASE}/embed/{slug}"
    assert Page(player.get_data(as_text=True)).find("video")

    discovery = page.find("link", rel="alternate", type="application/json+oembed")
    assert len(discovery) == 1
    answer = client.get(local(discovery[0]["href"]))
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    body = answer.get_json()
    # oembed.com §2.3.4: version, type; for video also html, width and height (§2.3.4.3).
    assert body["version"] == "1.0" and body["type"] == "video"
    assert isinstance(body["width"], int) and isinstance(body["height"], int) and body["width"] > 0
    frame = Page(body["html"])
    assert [t for t, _ in frame.tags] == ["iframe"] and frame.tags[0][1]["src"] == f"{BASE}/embed/{slug}"
    thumb = {k for k in body if k.startswith("thumbnail_")}
    assert thumb == {"thumbnail_url", "thumbnail_width", "thumbnail_height"}  # all three or none (§2.3.4)
    assert body["provider_name"] and body["author_name"] == "Jo Bloggs"
    small = client.get("/oembed?" + urlencode({"url": f"{BASE}/c/{slug}", "maxwidth": 200, "maxheight": 300}))
    assert small.get_json()["width"] <= 200 and small.get_json()["height"] <= 300


def test_oembed_refuses_bad_requests(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    good = f"{BASE}/c/{slug}"
    assert client.get("/oembed?" + urlencode({"url": good})).status_code == 200
    for params, status in [
        ({"url": f"https://evil.example/c/{slug}"}, 400),  # another site's page
        ({"url": f"{BASE}.evil.example/c/{slug}"}, 400),
        ({"url": f"javascript:alert(1)//{BASE}/c/{slug}"}, 400),
        ({"url": f"{BASE}/recordings/1"}, 400),  # ours, but not a clip page
        ({}, 400),
        ({"url": good, "maxwidth": "-1"}, 400),
        ({"url": good, "maxwidth": "1e9"}, 400),
        ({"url": good, "maxheight": "1000000000"}, 400),
        ({"url": good, "maxwidth": "0"}, 400),
        ({"url": good, "format": "xml"}, 501),  # the spec's answer to a format we do not serve
        ({"url": f"{BASE}/c/nosuchslug"}, 404),
    ]:
        response = client.get("/oembed?" + urlencode(params))
        assert response.status_code == status, params
        if status == 400:
            assert response.get_json()["error"], params  # a message, not a stack trace


def test_feeds_parse_back_with_enclosures_that_fetch(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    publish_files(ctx, mp4, title="Hospital promise", speaker="Sam Smith", tags=["NHS"], post_copy="Share this")
    publish_files(ctx, mp4, title="Schools answer", speaker="Jo Bloggs", tags=["Education"])
    response = client.get("/feeds/clips.atom")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):  # RFC 4287 §4.1.1
        assert feed.find(f"{ATOM}{required}") is not None and feed.find(f"{ATOM}{required}").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/feeds/clips.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Schools answer", "Hospital promise"]
    for entry in entries:
        for required in ("id", "title", "updated"):  # RFC 4287 §4.1.2
            assert entry.find(f"{ATOM}{required}").text
        enclosure = entry.find(f"{ATOM}link[@rel='enclosure']")
        assert enclosure.get("type") == "video/mp4"
        fetched = client.get(local(enclosure.get("href")))
        assert fetched.status_code == 200 and len(fetched.data) == int(enclosure.get("length")) == len(mp4.read_bytes())
        content = entry.find(f".//{MEDIA}content")
        assert content.get("url") == enclosure.get("href") and content.get("medium") == "video"
        assert client.get(local(entry.find(f"{ATOM}link[@rel='alternate']").get("href"))).status_code == 200
    by_tag = ET.fromstring(client.get("/feeds/clips.atom?tag=nhs").data)
    assert [e.find(f"{ATOM}title").text for e in by_tag.findall(f"{ATOM}entry")] == ["Hospital promise"]
    by_speaker = ET.fromstring(client.get("/feeds/clips.rss?speaker=Jo+Bloggs").data)
    items = by_speaker.findall("channel/item")
    assert [i.find("title").text for i in items] == ["Schools answer"]
    enclosure = items[0].find("enclosure")
    assert enclosure.get("type") == "video/mp4" and client.get(local(enclosure.get("url"))).status_code == 200
    assert items[0].find(f".//{MEDIA}content").get("url") == enclosure.get("url")
