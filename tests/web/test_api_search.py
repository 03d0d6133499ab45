"""GET /api/v1/search: what a volunteer's script or the search page gets back."""

from __future__ import annotations

from datetime import datetime

import pytest

from clipper.recordings import create_recording, save_transcript
from tests.clipper.test_search import transcript


@pytest.fixture
def recording_id(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        rec = create_recording(session, title="Inaugural <address>", channel="BBC One")
        rec.aired_at = datetime(2026, 1, 20, 12)
        save_transcript(session, rec, transcript(
            (0.0, "And so, my fellow Americans, ask not what your country can do for you,", "Kennedy"),
            (6.0, "ask what you can do for your <b>country</b>.", "Kennedy"),
        ))
        session.commit()
        return rec.id


def test_search_needs_a_login(client, recording_id) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/search?q=country")
    assert resp.status_code == 401


def test_phrase_hit_links_to_the_exact_moment(client, auth, recording_id) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/search", query_string={"q": '"ask not what"'}, headers=auth)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["has_more"] is False and len(body["hits"]) == 1
    hit = body["hits"][0]
    assert hit["recording"] == {"id": recording_id, "title": "Inaugural <address>", "channel": "BBC One",
                                "aired_at": "2026-01-20T12:00:00Z"}
    assert hit["segment"]["speaker"] == "Kennedy" and hit["segment"]["start"] == 0.0
    assert hit["moment"] == 2.5
    assert hit["url"] == f"/recordings/{recording_id}?t=2.50&q=%22ask+not+what%22"
    assert "<mark>ask</mark> <mark>not</mark> <mark>what</mark>" in hit["snippet_html"]


def test_snippet_is_escaped_html(client, auth, recording_id) -> None:  # type: ignore[no-untyped-def]
    hit = client.get("/api/v1/search?q=countr*&speaker=kennedy", headers=auth).json["hits"]
    snippet = next(h["snippet_html"] for h in hit if "<b>" in h["segment"]["text"])
    assert "&lt;b&gt;<mark>country</mark>&lt;/b&gt;" in snippet and "<b>" not in snippet


def test_filters_and_paging(client, auth, recording_id) -> None:  # type: ignore[no-untyped-def]
    def hits(**params: str) -> list:  # type: ignore[type-arg]
        resp = client.get("/api/v1/search", query_string={"q": "ask", **params}, headers=auth)
        assert resp.status_code == 200, resp.json
        return resp.json["hits"]

    assert len(hits()) == 2
    assert hits(channel="Sky News") == []
    assert len(hits(channel="bbc one", speaker="Kennedy")) == 2
    assert len(hits(**{"from": "2026-01-20", "to": "2026-01-20"})) == 2
    assert hits(**{"from": "2026-01-21"}) == []
    page = client.get("/api/v1/search?q=ask&limit=1&offset=1", headers=auth).json
    assert len(page["hits"]) == 1 and page["has_more"] is False


@pytest.mark.parametrize("query, message", [
    ({"q": ""}, "word"), ({"q": "?!"}, "word"), ({"q": '"'}, "word"), ({"q": "a*"}, "letters"),
    ({"q": "ask", "from": "yesterday"}, "YYYY-MM-DD"), ({"q": "ask", "limit": "ten"}, "whole number"),
])
def test_bad_queries_get_a_clear_400(client, auth, recording_id, query, message) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/search", query_string=query, headers=auth)
    assert resp.status_code == 400
    assert message in resp.json["error"]


def test_engine_syntax_is_harmless(client, auth, recording_id) -> None:  # type: ignore[no-untyped-def]
    for q in ['ask" OR "x', "NEAR(ask not)", "ask & !not", "country'); DROP TABLE segments;--", '"ask not']:
        resp = client.get("/api/v1/search", query_string={"q": q}, headers=auth)
        assert resp.status_code == 200, (q, resp.json)
    assert len(client.get("/api/v1/search?q=country", headers=auth).json["hits"]) == 2
