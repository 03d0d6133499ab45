"""Small input gaps (issue 8, item 13): each is answered 400 with a reason and stores nothing, on SQLite
and PostgreSQL; a failed job never shows its raw exception to the user."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from clipper.models import Clip, Upload, Word
from tests.conftest import run_jobs
from tests.web.team import Team, app_on, make_team, ready_recording
from workers import queues


@pytest.fixture
def setup(database_url: str, redis_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    app, ctx = app_on(database_url, redis_url, tmp_path / "data")
    team = make_team(ctx)
    return app.test_client(), ctx, team, ready_recording(ctx.sessions)


def _clips(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        return db.query(Clip).count()


def _new_clip(client, team: Team, rid: int, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/recordings/{rid}/clips", headers=team.vol_a.headers,
                       json={"start": 1.0, "end": 2.9, "title": "Hospital", **body})


@pytest.mark.parametrize(("body", "message"), [
    ({"presets": ["landscape", "landscape"]}, "'landscape' is listed twice"),
    ({"presets": ["square", {"x": 1}]}, "Unknown preset"),
    ({"start": 1.0, "end": 1.0001}, "shorter than one frame (0.040 s)"),
    ({"start": 1.0, "end": 1.02}, "shorter than one frame"),
    ({"start": True, "end": 2.0}, "must be a number of seconds, not true"),
    ({"start": 0.0, "end": False}, "not false"),
    ({"title": "Hospital\x00promise"}, "contains a NUL byte"),
    ({"speaker": "Anna\x07Reed"}, "control character U+0007"),
])
def test_a_bad_clip_is_refused_and_nothing_is_stored(setup, body, message: str) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, rid = setup
    resp = _new_clip(client, team, rid, **body)
    assert resp.status_code == 400, resp.json
    assert message in resp.json["error"]
    assert _clips(ctx) == 0


def test_one_frame_is_the_shortest_clip(setup) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, rid = setup
    resp = _new_clip(client, team, rid, start=1.0, end=1.04)
    assert resp.status_code == 201 and resp.json["duration"] == 0.04


def test_a_bad_edit_changes_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, rid = setup
    clip = _new_clip(client, team, rid).json
    for body, message in (({"presets": ["vertical", "vertical"]}, "listed twice"),
                          ({"end": True}, "not true"), ({"title": "a\x00b"}, "NUL byte"),
                          ({"caption_words": ["x\x00"] * len(clip["caption_words"])}, "NUL byte")):
        resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=team.vol_a.headers,
                            json={"version": clip["version"], **body})
        assert resp.status_code == 400 and message in resp.json["error"], (body, resp.json)
    with ctx.sessions() as db:
        row = db.get(Clip, clip["id"])
        assert (row.title, row.presets, row.version, row.end) == ("Hospital", ["landscape", "square", "vertical"],
                                                                  1, 2.9)


@pytest.mark.parametrize("path", ["/api/v1/clips", "/api/v1/clips/1", "/api/v1/recordings/1/words/0"])
def test_json_nested_a_hundred_thousand_levels_deep_is_a_400(setup, path: str) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, _ = setup
    body = "[" * 100_000 + "]" * 100_000
    method = client.post if path == "/api/v1/clips" else client.patch
    resp = method(path, headers={**team.lead.headers, "Content-Type": "application/json"}, data=body)
    assert resp.status_code == 400 and "nested too deeply" in resp.json["error"]
    deep = '{"version": 1, "title": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    resp = method(path, headers={**team.lead.headers, "Content-Type": "application/json"}, data=deep)
    assert resp.status_code == 400 and "at most 32 levels" in resp.json["error"]


@pytest.mark.parametrize("offset", ["100000000000000000000", "1e20", "10001"])
def test_a_huge_search_offset_is_a_400(setup, offset: str) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, _ = setup
    resp = client.get(f"/api/v1/search?q=minister&offset={offset}", headers=team.vol_a.headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "offset" in resp.json["error"]
    assert client.get("/api/v1/search?q=minister&offset=0", headers=team.vol_a.headers).json["hits"]


def test_nul_bytes_anywhere_are_refused_before_the_database(setup) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, rid = setup
    resp = client.get("/api/v1/search?q=mini%00ster", headers=team.vol_a.headers)
    assert resp.status_code == 400 and "NUL byte" in resp.json["error"]
    resp = client.post("/api/v1/recordings", headers=team.vol_a.headers,
                       json={"url": "https://example.org/v.mp4", "title": "News\x00"})
    assert resp.status_code == 400 and "NUL byte" in resp.json["error"]
    resp = client.patch(f"/api/v1/recordings/{rid}/words/0", headers=team.vol_a.headers, json={"text": "Th\x00e"})
    assert resp.status_code == 400 and "NUL byte" in resp.json["error"]
    with ctx.sessions() as db:
        assert db.query(Word).filter(Word.edited_text.is_not(None)).count() == 0


def test_an_upload_whose_title_would_never_be_accepted_is_refused_at_creation(setup) -> None:  # type: ignore[no-untyped-def]
    client, ctx, team, _ = setup
    meta = "title " + base64.b64encode(("x" * 600).encode()).decode()
    resp = client.post("/api/v1/uploads", headers={**team.vol_a.headers, "Tus-Resumable": "1.0.0",
                                                   "Upload-Length": "1000", "Upload-Metadata": meta})
    assert resp.status_code == 400 and "title is too long (600 characters)" in resp.json["error"]
    meta = "filename " + base64.b64encode(b"a\x00.mp4").decode()
    resp = client.post("/api/v1/uploads", headers={**team.vol_a.headers, "Tus-Resumable": "1.0.0",
                                                   "Upload-Length": "1000", "Upload-Metadata": meta})
    assert resp.status_code == 400 and "NUL byte" in resp.json["error"]
    with ctx.sessions() as db:
        assert db.query(Upload).count() == 0
    parts = Path(ctx.settings.data_dir) / "uploads"
    assert not parts.exists() or list(parts.iterdir()) == []


def test_a_failed_job_never_shows_its_raw_exception(client, auth, ctx, redis_url) -> None:  # type: ignore[no-untyped-def]
    kind = queues.JobKind(queues.RENDER, "json.loads", timeout=30)
    queues.enqueue(ctx.redis, kind, "broken-job-1", "{not json")  # raises JSONDecodeError in the worker
    run_jobs(redis_url, ("render",))
    state = client.get("/api/v1/jobs/broken-job-1", headers=auth).json
    assert state["status"] == "failed"
    assert "JSONDecodeError" not in str(state) and "Expecting" not in str(state)
    assert state["error"].startswith("This job failed on our side; the team has the details.")


def test_an_old_clip_with_a_format_listed_twice_gets_one_render_row(ctx) -> None:  # type: ignore[no-untyped-def]
    """Clips stored before formats were checked: the render job takes each format once (it used to fail
    for ever on the renders' unique constraint)."""
    from workers.jobs.render import render_rows

    rid = ready_recording(ctx.sessions)
    with ctx.sessions() as db:
        clip = Clip(recording_id=rid, start=1.0, end=2.0, title="Old", status="approved",
                    presets=["landscape", "landscape", "square"])
        db.add(clip)
        db.commit()
        rows = render_rows(db, clip)
        db.commit()
        assert [r.preset for r in rows] == ["landscape", "square"]
