"""Optimistic locking under real concurrency (issue 8, item 4): threads send requests at the same moment
to the real app on SQLite and PostgreSQL; the database decides, and nobody's save is silently lost.

Each request has its own client, session and connection, as requests on a real server do; a barrier
releases them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.web.team import app_on, events, make_team, mark, ready_recording, stored


@pytest.fixture
def db_app(database_url: str, redis_url: str, tmp_path):  # type: ignore[no-untyped-def]
    """The app on SQLite and (with CLIPPER_TEST_DATABASE_URL) PostgreSQL, and a team."""
    app, ctx = app_on(database_url, redis_url, tmp_path / "data")
    return app, ctx, make_team(ctx)


def together(calls: list[Callable[[Any], Any]], app: Any) -> list[Any]:
    """Run each call (given its own test client) in its own thread, released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            results[i] = calls[i](client)
        except BaseException as exc:  # noqa: BLE001  (reported by the assert below)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results


def test_twelve_saves_of_one_version_let_exactly_one_through(db_app) -> None:  # type: ignore[no-untyped-def]
    app, ctx, team = db_app
    client = app.test_client()
    clip = mark(client, team.vol_a, ready_recording(ctx.sessions))
    # the owner in six tabs and two leads in three each, all from the version they loaded
    people = [team.vol_a] * 6 + [team.lead] * 3 + [team.lead2] * 3

    def save(i: int) -> Callable[[Any], Any]:
        return lambda c: c.patch(f"/api/v1/clips/{clip['id']}", headers=people[i].headers,
                                 json={"version": clip["version"], "title": f"Title from save {i}"})

    answers = together([save(i) for i in range(12)], app)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 11, codes
    [winner] = [r for r in answers if r.status_code == 200]
    for loser in (r for r in answers if r.status_code == 409):
        assert "saved this clip after you opened it" in loser.json["error"]
        assert loser.json["clip"]["title"] == winner.json["title"]  # they are shown what was kept
    kept = stored(ctx.sessions, clip["id"])
    assert (kept.title, kept.version) == (winner.json["title"], clip["version"] + 1)
    assert len(events(ctx.sessions, "clip.updated", clip["id"])) == 1


def test_a_lead_approves_exactly_the_version_they_watched(db_app) -> None:  # type: ignore[no-untyped-def]
    """An approve racing the volunteer's edit: one of them wins; an approved clip is always the cut the
    lead saw (title and captions), never the edit that arrived in between."""
    app, ctx, team = db_app
    client = app.test_client()
    rid = ready_recording(ctx.sessions)
    outcomes = []
    for attempt in range(6):
        clip = mark(client, team.vol_a, rid, f"Seen by the lead {attempt}", submit=True)
        seen_words = [w["text"] for w in clip["caption_words"]]
        url, version, changed = f"/api/v1/clips/{clip['id']}", clip["version"], ["Changed"] * len(seen_words)
        approved, edited = together([
            lambda c, url=url, version=version: c.post(f"{url}/approve", headers=team.lead.headers,
                                                      json={"version": version}),
            lambda c, url=url, version=version, changed=changed: c.patch(
                url, headers=team.vol_a.headers,
                json={"version": version, "title": "Changed after review", "caption_words": changed}),
        ], app)
        assert sorted((approved.status_code, edited.status_code)) == [200, 409], (approved.json, edited.json)
        kept = stored(ctx.sessions, clip["id"])
        if approved.status_code == 200:
            assert kept.status == "approved" and kept.title == f"Seen by the lead {attempt}"
            assert [w["text"] for w in kept.caption_words] == seen_words
            outcomes.append("approved")
        else:
            assert kept.status == "submitted" and kept.title == "Changed after review"
            assert "saved this clip after you opened it" in approved.json["error"]
            outcomes.append("edited")
    assert len(outcomes) == 6
