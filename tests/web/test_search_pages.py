"""The search page: results with context, channel and time, links to the moment; saved searches."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from clipper.recordings import create_recording, save_transcript
from tests.clipper.test_search import transcript
from tests.web.forms import logged_in, post_form


@pytest.fixture
def recording_id(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        rec = create_recording(session, title="Inaugural <script>alert(1)</script>", channel="BBC One")
        rec.aired_at = datetime(2026, 7, 20, 12)  # 13:00 in London (BST)
        save_transcript(session, rec, transcript(
            (0.0, "And so, my fellow Americans, ask not what your country can do for you,", "Kennedy"),
            (6.0, "ask what you can do for your <img src=x onerror=alert(2)> country.", "Kennedy"),
        ))
        session.commit()
        return rec.id


def test_results_link_to_the_moment_with_context(client, ctx, recording_id) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx)
    html = client.get("/search", query_string={"q": '"ask not what"'}).get_data(as_text=True)
    assert "1 result for" in html
    assert f'href="/recordings/{recording_id}?t=2.50&amp;q=%22ask+not+what%22"' in html
    assert "<mark>ask</mark> <mark>not</mark> <mark>what</mark> your country" in html
    assert "BBC One" in html and "20 Jul 2026 13:00" in html and "at 0:02" in html
    # user text is shown as text, never run
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_text_in_transcripts_is_escaped(client, ctx, recording_id) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx)
    html = client.get("/search?q=country").get_data(as_text=True)
    assert "2 results" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_bad_query_is_explained_beside_the_box(client, ctx, recording_id) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx)
    response = client.get("/search?q=a*")
    assert response.status_code == 400
    assert "before *" in response.get_data(as_text=True)
    assert 'name="q"' in response.get_data(as_text=True)  # the box is still there to try again


def test_saved_searches_belong_to_each_volunteer(app, client, ctx, recording_id) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, email="amy@example.org")
    response = post_form(client, "/search/saved", {"q": "countr*", "name": "Country <b>watch</b>"})
    assert response.status_code == 302
    html = client.get("/search").get_data(as_text=True)
    assert "Country &lt;b&gt;watch&lt;/b&gt;" in html and 'href="/search?q=countr*"' in html
    saved_id = int(re.search(r"/search/saved/(\d+)/delete", html).group(1))

    other = app.test_client()
    logged_in(other, ctx, email="bo@example.org")
    assert "countr*" not in other.get("/search").get_data(as_text=True)
    assert post_form(other, f"/search/saved/{saved_id}/delete").status_code == 404  # not theirs

    assert post_form(client, f"/search/saved/{saved_id}/delete").status_code == 302
    assert "countr*" not in client.get("/search").get_data(as_text=True)
    assert post_form(client, "/search/saved", {"q": ""}).status_code == 400
