"""The public gallery and clip pages: filters and search, pagination, no cookies, caching headers,
framing, escaping of hostile titles, 404/410, and counts that store nothing about the person."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from clipper.models import Branding, Clip, PublicCount
from tests.gallery_setup import publish_files
from tests.media import make_video
from tests.web.forms import logged_in

HOSTILE = '<script>alert(1)</script> "quoted" javascript:alert(2)'


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "tiny.mp4", seconds=1.5, size="160x120")


class Page(HTMLParser):
    """Tags and attributes as a browser's parser sees them (entities decoded)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def meta(self, key: str) -> str:
        found = [a["content"] for t, a in self.tags if t == "meta" and key in (a.get("property"), a.get("name"))]
        assert len(found) == 1, f"{key}: {found}"
        return found[0]


def titles(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r"<h2>(.*?)</h2>", html, re.S)]


def test_gallery_newest_first_with_filters_search_and_pages(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    publish_files(ctx, mp4, title="Old budget clip", speaker="Jo Bloggs", tags=["Economy"],
                  published_at=datetime(2026, 11, 1, 12))
    publish_files(ctx, mp4, title="Hospital promise", speaker="Sam Smith", tags=["NHS", "Economy"],
                  published_at=datetime(2026, 12, 1, 23, 30))  # 1 Dec in UTC, still 1 Dec in London (GMT)
    publish_files(ctx, mp4, title="Schools answer", speaker="Jo Bloggs", tags=["Education"],
                  caption_words=[{"start": 0.6, "end": 0.9, "text": "teachers"}],
                  published_at=datetime(2026, 12, 2, 9))
    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert titles(html) == ["Schools answer", "Hospital promise", "Old budget clip"]
    assert "02 Dec 2026" in html and "Jo Bloggs" in html and "0:02" in html  # date, speaker, duration
    assert titles(client.get("/?speaker=Jo+Bloggs").get_data(as_text=True)) == ["Schools answer", "Old budget clip"]
    assert titles(client.get("/?tag=economy").get_data(as_text=True)) == ["Hospital promise", "Old budget clip"]
    assert titles(client.get("/?from=2026-12-01&to=2026-12-01").get_data(as_text=True)) == ["Hospital promise"]
    assert titles(client.get("/?q=TEACHERS").get_data(as_text=True)) == ["Schools answer"]  # caption text
    assert titles(client.get("/?q=hospital+promise").get_data(as_text=True)) == ["Hospital promise"]
    assert titles(client.get("/?q=nothing-like-this").get_data(as_text=True)) == []
    assert client.get("/?from=not-a-date&page=x").status_code == 200  # half-typed filters never fail the page


def test_gallery_pages_through_many_clips(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    for i in range(26):
        publish_files(ctx, mp4, title=f"Clip {i:02d}", presets=("vertical",), published_at=datetime(2026, 12, 1, 0, i))
    first, second = client.get("/").get_data(as_text=True), client.get("/?page=2").get_data(as_text=True)
    assert len(titles(first)) == 24 and titles(first)[0] == "Clip 25"
    assert titles(second) == ["Clip 01", "Clip 00"] and "Page 2 of 2" in second
    assert 'rel="next" href="/?page=2"' in first


def test_public_pages_set_no_cookie_and_only_the_embed_may_be_framed(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    framed = {f"/embed/{slug}"}
    for path in ("/", f"/c/{slug}", f"/embed/{slug}", f"/oembed?url=http://localhost/c/{slug}",
                 "/feeds/clips.atom", "/feeds/clips.rss", f"/c/{slug}/media/video.mp4", f"/c/{slug}/media/captions.vtt",
                 f"/c/{slug}/download/vertical", f"/c/{slug}/share/native", "/c/nope", "/static/gallery.css"):
        response = client.get(path)
        assert response.status_code in (200, 204, 404), path
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary, path
        if response.mimetype != "text/html":
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            continue
        csp = response.headers.get("Content-Security-Policy", "")
        if path in framed:
            assert "frame-ancestors *" in csp and "X-Frame-Options" not in response.headers
        else:
            assert "frame-ancestors 'none'" in csp and response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get_cookie("session") is None
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    assert "csrf" not in page.lower()
    scripts = [a["src"] for t, a in Page(page).tags if t == "script"]
    assert scripts == ["/static/gallery.js"]  # ours only: no third-party scripts
    assert "googleapis" not in page and "@font-face" not in Path("web/static/gallery.css").read_text()


def test_desk_is_behind_login_and_gallery_is_home(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/").status_code == 200
    for path in ("/desk", "/clips", "/recordings", "/review"):
        assert "/login" in client.get(path).headers.get("Location", ""), path
    logged_in(client, ctx, "volunteer")
    assert client.get("/desk").status_code == 200
    assert 'href="/login"' in client.get("/").get_data(as_text=True)  # the gallery links to the team's login


def test_caching_headers_and_conditional_requests(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    for path in ("/", f"/c/{slug}", "/feeds/clips.atom"):
        first = client.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=10, s-maxage=10"
        assert first.headers["ETag"] and first.headers["Last-Modified"]
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304


def test_hostile_text_is_escaped_everywhere(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title=HOSTILE, speaker='Jo "JB" <b>Bloggs</b>', post_copy=HOSTILE,
                            tags=['<img src=x onerror=alert(3)>'])
    for path in ("/", f"/c/{slug}", f"/embed/{slug}"):
        html = client.get(path).get_data(as_text=True)
        page = Page(html)
        assert [t for t, a in page.tags if t == "script" and not a.get("src")] == [], path  # no inline script made
        assert not [t for t, _ in page.tags if t in ("b", "img") and "onerror" in str(_)], path
        assert "<script>alert" not in html and '<img src=x' not in html
    page = Page(client.get(f"/c/{slug}").get_data(as_text=True))
    assert page.meta("og:title") == HOSTILE and page.meta("twitter:title") == HOSTILE  # whole, inside the quotes
    assert page.find("textarea", id="post-text")
    assert HOSTILE in "".join(page.text)
    for _, attrs in page.tags:
        for name, value in attrs.items():
            assert not value.lower().startswith("javascript:"), (name, value)
    oembed = client.get(f"/oembed?url=http://localhost/c/{slug}").get_json()
    assert oembed["title"] == HOSTILE
    frame = Page(oembed["html"])
    assert [t for t, _ in frame.tags] == ["iframe"] and frame.tags[0][1]["title"] == HOSTILE
    feed = client.get("/feeds/clips.atom").get_data(as_text=True)
    assert "<script>" not in feed and "&lt;script&gt;" in feed
    share = client.get(f"/c/{slug}/share/whatsapp")
    assert share.headers["Location"].startswith("https://wa.me/?text=%3Cscript%3E")


def test_missing_and_withdrawn_slugs(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    for path in ("/c/doesnotexist", "/c/" + "x" * 40, "/c/doesnotexist/download/vertical", "/embed/nope",
                 "/c/doesnotexist/media/video.mp4"):
        response = client.get(path)
        assert response.status_code == 404 and "no clip here" in response.get_data(as_text=True), path
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    assert client.get(f"/c/{slug}/media/secret.txt").status_code == 404
    assert client.get(f"/c/{slug}/download/square").status_code == 404  # a variant it does not have


def test_post_text_carries_the_imprint_when_required(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        branding = Branding.current(db)
        branding.imprint_text, branding.imprint_required = "Promoted by A. Agent, 1 High St", True
        db.commit()
    _, slug = publish_files(ctx, mp4, title="Hospital promise", post_copy="Watch and share!")
    page = Page(client.get(f"/c/{slug}").get_data(as_text=True))
    textarea = page.find("textarea", id="post-text")
    assert textarea
    assert "Watch and share!\n\nPromoted by A. Agent, 1 High St" in "".join(page.text)


def test_downloads_and_shares_are_counted_without_personal_data(app, client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    full = client.get(f"/c/{slug}/download/vertical", headers={"User-Agent": "Phone/1.0"})
    assert full.status_code == 200 and full.data == mp4.read_bytes()
    assert full.headers["Content-Disposition"].startswith("attachment; filename=Hospital-promise-vertical.mp4")
    assert full.headers["Content-Type"] == "video/mp4" and full.headers["X-Content-Type-Options"] == "nosniff"
    part = client.get(f"/c/{slug}/download/vertical", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100  # a seek is not another download
    client.get(f"/c/{slug}/download/landscape")
    assert client.get(f"/c/{slug}/share/telegram").status_code == 302
    assert client.get(f"/c/{slug}/share/native").status_code == 204
    assert client.get(f"/c/{slug}/share/myspace").status_code == 404
    with ctx.sessions() as db:
        counts = {(c.kind, c.variant): c.count for c in db.scalars(select(PublicCount))}
    assert counts == {("download", "vertical"): 1, ("download", "landscape"): 1, ("share", "telegram"): 1,
                      ("share", "native"): 1}
    columns = {c["name"] for c in inspect(app.extensions["clipper.sessions"]().get_bind()).get_columns("public_counts")}
    assert columns == {"id", "clip_id", "kind", "variant", "count"}  # no address, agent or cookie anywhere
    lead = app.test_client()
    logged_in(lead, ctx, "social_lead")
    row = lead.get("/clips").get_data(as_text=True)
    assert "2 downloads · 2 shares" in row and f'href="/c/{slug}"' in row
    with ctx.sessions() as db:
        assert db.get(Clip, clip_id).status == "published"


def test_only_the_embed_page_may_be_framed_anywhere_in_the_app(app, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    client = app.test_client()
    logged_in(client, ctx, "admin")  # every page the team has, and the public ones
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        if rule.arguments and rule.arguments != {"slug"}:
            continue
        response = client.get(rule.rule.replace("<slug>", slug))
        if response.mimetype != "text/html":
            continue
        checked += 1
        csp = response.headers.get("Content-Security-Policy", "")
        if rule.endpoint == "embed.embed":
            assert "frame-ancestors *" in csp and "X-Frame-Options" not in response.headers
        else:
            assert "frame-ancestors 'none'" in csp, rule.rule
    assert checked >= 15
