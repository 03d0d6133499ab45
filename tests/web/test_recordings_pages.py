"""The recordings list (status, progress, filter, sort, times in the team's zone), the add page, and the
my-clips / all-clips lists (status, render progress, links to results, reopening)."""

from __future__ import annotations

import re
from datetime import datetime

from clipper.models import Clip, Recording, Render
from tests.conftest import make_user
from tests.web.forms import logged_in


def _recordings(ctx) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = [
        Recording(title="PMQs 1 July", source="upload", channel="BBC Parliament", status="ready", duration=3723,
                  aired_at=datetime(2026, 7, 1, 11, 0)),
        Recording(title="Newsnight", source="url", source_url="https://example.org/newsnight", channel="BBC Two",
                  status="transcribing", progress=0.42, duration=2700, aired_at=datetime(2026, 7, 3, 21, 30)),
        Recording(title="Broken file <b>bold</b>", source="upload", status="failed",
                  error="This file is not a video or audio recording."),
    ]
    with ctx.sessions() as db:
        db.add_all(rows)
        db.commit()
        return {r.title: r.id for r in rows}


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/recordings/\d+">([^<]*)</a>', html)


def test_list_shows_status_progress_source_and_local_times(client, ctx) -> None:  # type: ignore[no-untyped-def]
    ids = _recordings(ctx)
    logged_in(client, ctx)
    html = client.get("/recordings").get_data(as_text=True)
    assert _titles(html) == ["Broken file &lt;b&gt;bold&lt;/b&gt;", "Newsnight", "PMQs 1 July"]  # newest first
    assert f'data-id="{ids["Newsnight"]}" data-status="transcribing"' in html
    assert '<progress max="1" value="0.42"' in html
    assert "This file is not a video or audio recording." in html
    assert "1:02:03" in html and "45:00" in html  # durations
    assert "01 Jul 2026 12:00" in html  # 11:00 UTC shown in Europe/London (BST)
    assert "Times are in Europe/London" in html
    assert "https://example.org/newsnight" in html
    assert "<b>bold</b>" not in html  # titles are text, never markup
    assert 'data-poll="/api/v1/recordings"' in html and "recordings.js" in html


def test_filter_and_sort(client, ctx) -> None:  # type: ignore[no-untyped-def]
    _recordings(ctx)
    logged_in(client, ctx)

    def titles(**args: str) -> list[str]:
        return _titles(client.get("/recordings", query_string=args).get_data(as_text=True))

    assert titles(status="ready") == ["PMQs 1 July"]
    assert titles(source="url") == ["Newsnight"]
    assert titles(channel="BBC Two") == ["Newsnight"]
    assert titles(q="pmq") == ["PMQs 1 July"]
    assert titles(sort="duration")[:2] == ["PMQs 1 July", "Newsnight"]
    assert titles(sort="title") == ["Broken file &lt;b&gt;bold&lt;/b&gt;", "Newsnight", "PMQs 1 July"]
    assert titles(status="nonsense", sort="nonsense") == titles()  # unknown values are ignored
    assert "match these filters" in client.get("/recordings?q=nothing-like-this").get_data(as_text=True)


def test_add_page_offers_link_and_resumable_upload(client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx)
    html = client.get("/recordings/add").get_data(as_text=True)
    assert 'id="by-url"' in html and 'data-endpoint="/api/v1/recordings"' in html
    assert 'id="by-upload"' in html and 'data-endpoint="/api/v1/uploads"' in html
    assert "add_recording.js" in html
    assert client.get("/static/upload.js").status_code == 200


def _clips(ctx, owner_id: int, other_id: int, recording_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        draft = Clip(recording_id=recording_id, start=10, end=20, title="My draft", status="draft",
                     created_by_id=owner_id)
        rendering = Clip(recording_id=recording_id, start=30, end=45, title="Going out", status="approved",
                         created_by_id=owner_id)
        rendering.renders = [Render(preset="landscape", status="done", storage_key="clips/2/landscape.mp4"),
                             Render(preset="square", status="rendering", progress=0.5)]
        approved = Clip(recording_id=recording_id, start=50, end=55, title="Done <i>deal</i>", status="approved",
                        created_by_id=other_id)
        approved.renders = [Render(preset="vertical", status="done", storage_key="clips/3/vertical.mp4")]
        db.add_all([draft, rendering, approved])
        db.commit()
        return {c.title: c.id for c in (draft, rendering, approved)}


def test_my_clips_and_all_clips(client, ctx) -> None:  # type: ignore[no-untyped-def]
    ids = _recordings(ctx)
    me = logged_in(client, ctx, email="me@example.org")
    other, _ = make_user(ctx, "other@example.org")
    clips = _clips(ctx, me.id, other.id, ids["PMQs 1 July"])

    mine = client.get("/clips/mine").get_data(as_text=True)
    assert "My draft" in mine and "Going out" in mine and "Done &lt;i&gt;deal" not in mine
    # a draft can be reopened on the recording page; an approved clip can't
    assert f'href="/recordings/{ids["PMQs 1 July"]}?clip={clips["My draft"]}&amp;t=10.00"' in mine
    assert f'?clip={clips["Going out"]}&amp;t=' not in mine
    # rendering shows progress (one of two files done, the other half way) and links to finished files
    assert 'data-status="rendering"' in mine and '<progress max="1" value="0.75"' in mine
    assert re.search(r'<a href="[^"]*clips/\d+/landscape\.mp4[^"]*">Landscape</a>', mine)

    everyone = client.get("/clips").get_data(as_text=True)
    assert "Done &lt;i&gt;deal&lt;/i&gt;" in everyone and "<i>deal</i>" not in everyone
    assert f'?clip={clips["Done <i>deal</i>"]}&amp;t=' not in everyone  # approved: no more changes
    assert "Vertical</a>" in everyone

    only_rendering = client.get("/clips?status=rendering").get_data(as_text=True)
    assert "Going out" in only_rendering and "Done &lt;i&gt;" not in only_rendering and "My draft" not in only_rendering
    assert "My draft" in client.get("/clips?status=draft").get_data(as_text=True)


def test_others_drafts_can_be_reopened_only_by_social_leads(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    ids = _recordings(ctx)
    owner, _ = make_user(ctx, "owner@example.org")
    clips = _clips(ctx, owner.id, owner.id, ids["PMQs 1 July"])
    logged_in(client, ctx, "volunteer")
    assert f'?clip={clips["My draft"]}&amp;t=' not in client.get("/clips").get_data(as_text=True)
    lead = app.test_client()
    logged_in(lead, ctx, "social_lead")
    assert f'?clip={clips["My draft"]}&amp;t=' in lead.get("/clips").get_data(as_text=True)


def test_home_page_links_to_the_desk(client, ctx) -> None:  # type: ignore[no-untyped-def]
    _recordings(ctx)
    logged_in(client, ctx)
    html = client.get("/desk").get_data(as_text=True)
    assert "Newsnight" in html and 'href="/recordings/add"' in html and 'href="/search"' in html
