"""The air-to-clip timer: clips of live recordings marked, submitted and approved through the API by two
people and posted through the composer to a webhook by a real publish job; then every moment is moved to
a known time (the workflow cannot wait days), and the API and the page must show the exact figures.

Render rows are inserted finished (the render job's own test checks it records ``first_finished_at``);
everything else is made by the code the team uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

from clipper.models import Clip, Event, LiveSegment, Post, Recording, Render, utcnow
from clipper.recordings import save_transcript
from clipper.transcript import Segment, Transcript, Word
from tests.fakes.setup import channel_for
from tests.fakes.webhook import FakeWebhook
from tests.web.forms import log_in, post_form
from tests.web.team import Member, Team, app_on, make_team
from workers.redis import connect

ZONE = "Asia/Kolkata"  # the team's time zone here: UTC+5:30 all year


def _words(at: float, *texts: str) -> Segment:
    words = tuple(Word(at + 0.5 * i, at + 0.5 * i + 0.4, t) for i, t in enumerate(texts))
    return Segment(words[0].start, words[-1].end, " ".join(texts), words)


def _recording(ctx: Any, *, source: str, status: str, segments: list[tuple[float, float, datetime]],
               transcript: tuple[Segment, ...]) -> int:
    """A recording with its live segments (start, duration, aired_at) and its transcript."""
    with ctx.sessions() as db:
        end = max((s + d for s, d, _ in segments), default=120.0)
        rec = Recording(title=f"{source} news", source=source, status=status, duration=end, transcribed_until=end,
                        probe={"fps": 25.0})
        db.add(rec)
        db.flush()
        for i, (start, duration, aired) in enumerate(segments):
            gap = start - (segments[i - 1][0] + segments[i - 1][1]) if i else 0.0
            db.add(LiveSegment(recording_id=rec.id, idx=i, start=start, duration=duration, gap_before=gap,
                               aired_at=aired, storage_key=f"recordings/{rec.id}/live/{i:06d}.ts",
                               status="transcribed"))
        save_transcript(db, rec, Transcript(language="en", duration=end, segments=transcript))
        db.commit()
        return rec.id


@dataclass
class Desk:
    app: Any
    ctx: Any
    team: Team
    api: Any  # a client that sends API tokens
    redis_url: str

    def mark(self, who: Member, rec_id: int, start: float, end: float, title: str) -> dict[str, Any]:
        made = self.api.post(f"/api/v1/recordings/{rec_id}/clips", headers=who.headers,
                             json={"start": start, "end": end, "title": title, "presets": ["vertical"]})
        assert made.status_code == 201, made.json
        return made.json

    def submit(self, who: Member, clip: dict[str, Any]) -> dict[str, Any]:
        sent = self.api.post(f"/api/v1/clips/{clip['id']}/submit", headers=who.headers, json={"version": clip["version"]})
        assert sent.status_code == 200, sent.json
        return sent.json

    def approve(self, who: Member, clip: dict[str, Any]) -> dict[str, Any]:
        done = self.api.post(f"/api/v1/clips/{clip['id']}/approve", headers=who.headers,
                             json={"version": clip["version"]})
        assert done.status_code == 200, done.json
        return done.json


@pytest.fixture
def desk(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Desk]:
    app, ctx = app_on(database_url, redis_url, tmp_path / "data", url_allowed_hosts=("127.0.0.1:*",), timezone=ZONE)
    yield Desk(app, ctx, make_team(ctx), app.test_client(), redis_url)


def _render(ctx: Any, clip_id: int, preset: str, first: datetime) -> None:
    """A finished render (inserted: only the render moment is not made by the real job here)."""
    with ctx.sessions() as db:
        db.add(Render(clip_id=clip_id, preset=preset, status="done", storage_key=f"clips/{clip_id}/{preset}.mp4",
                      public_url=f"https://cdn.example/clips/{clip_id}/{preset}.mp4", size=1000, width=1080,
                      height=1920, duration=2.0, finished_at=first + timedelta(hours=1), first_finished_at=first))
        db.commit()


def _post_now(browser: Any, clip_id: int, channel_id: int) -> None:
    response = post_form(browser, f"/clips/{clip_id}/compose",
                         {"channel": str(channel_id), f"text-{channel_id}": "The minister on air", "when": "now"})
    assert response.status_code == 302, response.get_data(as_text=True)


def _publish(redis_url: str) -> None:
    conn = connect(redis_url)
    SimpleWorker([Queue("publish", connection=conn)], connection=conn).work(burst=True, with_scheduler=True)


def _set_moments(ctx: Any, clip_id: int, *, marked: datetime, approved: datetime | None = None,
                 posted: datetime | None = None) -> None:
    """Move what the workflow recorded to known times; each moment must have been recorded where expected."""
    with ctx.sessions() as db:
        assert db.execute(update(Clip).where(Clip.id == clip_id).values(created_at=marked)).rowcount == 1
        if approved is not None:
            assert db.execute(update(Event).where(Event.action == "clip.approved", Event.target_id == clip_id)
                              .values(at=approved)).rowcount == 1
        if posted is not None:
            assert db.execute(update(Post).where(Post.clip_id == clip_id, Post.status == "sent")
                              .values(sent_at=posted)).rowcount == 1
        db.commit()


def _stages(body: dict[str, Any]) -> dict[str, tuple[int, float | None, float | None]]:
    return {s["stage"]: (s["count"], s["p50_seconds"], s["p95_seconds"]) for s in body["stages"]}


def test_the_timer_shows_each_stage_of_live_clips_over_the_day_and_the_week(desk: Desk) -> None:
    ctx, team, s = desk.ctx, desk.team, timedelta(seconds=1)
    now = utcnow().replace(microsecond=0)
    t0 = now - timedelta(hours=2)
    # On air two hours ago, 30 s segments; the recorder missed 20 s before the third, whose first frame
    # aired 35 s (not 20 s) after the second ended: air times come from the segment a word is in.
    live = _recording(ctx, source="live", status="live",
                      segments=[(0.0, 30.0, t0), (30.0, 30.0, t0 + 30 * s), (80.0, 30.0, t0 + 95 * s)],
                      transcript=(_words(2.0, "Good", "evening."), _words(35.0, "We", "will", "build."),
                                  _words(40.0, "Not", "yet."), _words(85.0, "Taxes", "rise.")))
    t1 = now - timedelta(days=3)
    old = _recording(ctx, source="live", status="ready", segments=[(0.0, 30.0, t1)],
                     transcript=(_words(10.0, "Last", "week."),))
    upload = _recording(ctx, source="upload", status="ready", segments=[], transcript=(_words(2.0, "Not", "live."),))

    vol, lead = team.vol_a, team.lead  # approval needs a second person: the volunteer marks, the lead approves
    a = desk.submit(vol, desk.mark(vol, live, 1.9, 3.0, "Good evening"))  # first word at 2.0 s: on air t0+2
    b = desk.submit(vol, desk.mark(vol, live, 35.0, 36.5, "Build"))  # t0+30+5
    c = desk.submit(vol, desk.mark(vol, live, 85.0, 85.9, "Taxes"))  # t0+95+5
    e = desk.submit(vol, desk.mark(vol, live, 40.0, 40.9, "Not yet"))  # t0+30+10, never approved
    d = desk.mark(vol, old, 10.0, 10.9, "Last week")  # three days ago, a draft
    f = desk.submit(vol, desk.mark(vol, upload, 2.0, 2.9, "Not live"))
    for clip in (a, b, c, f):
        desk.approve(lead, clip)

    air = {"a": t0 + 2 * s, "b": t0 + 35 * s, "c": t0 + 100 * s, "e": t0 + 40 * s, "d": t1 + 10 * s}
    # gaps in seconds: air->marked, marked->approved, approved->rendered, rendered->posted
    marked = {"a": air["a"] + 30 * s, "b": air["b"] + 60 * s, "c": air["c"] + 120 * s, "e": air["e"] + 45 * s,
              "d": air["d"] + 1000 * s}
    approved = {"a": marked["a"] + 60 * s, "b": marked["b"] + 120 * s, "c": marked["c"] + 300 * s}
    rendered = {"a": approved["a"] + 90 * s, "b": approved["b"] + 150 * s, "c": approved["c"] + 210 * s}
    posted = {"a": rendered["a"] + 120 * s, "b": rendered["b"] + 600 * s}
    _render(ctx, a["id"], "landscape", approved["a"] + 10 * s)  # sooner, but the vertical one is what is posted
    _render(ctx, a["id"], "vertical", rendered["a"])
    _render(ctx, b["id"], "vertical", rendered["b"])
    _render(ctx, c["id"], "square", rendered["c"])  # no vertical: the first finished render
    _render(ctx, f["id"], "vertical", now - timedelta(minutes=5))

    with FakeWebhook().running() as hook:
        with ctx.sessions() as db:
            channel = channel_for(db, ctx.settings, "webhook", hook)
        browser = desk.app.test_client()
        assert log_in(browser, lead.email).status_code == 302
        for clip in (a, b, f):
            _post_now(browser, clip["id"], channel)
        _publish(desk.redis_url)
        assert len(hook.created) == 3
    with ctx.sessions() as db:
        assert [p.status for p in db.scalars(select(Post))] == ["sent"] * 3

    for key, clip in {"a": a, "b": b, "c": c, "e": e, "d": d}.items():
        _set_moments(ctx, clip["id"], marked=marked[key], approved=approved.get(key), posted=posted.get(key))

    viewer = team.vol_b.headers  # anyone on the team may read it
    day = desk.api.get("/api/v1/live/timer?window=day", headers=viewer)
    assert day.status_code == 200, day.json
    assert _stages(day.json) == {
        "air_to_marked": (4, 52.5, 111.0),  # 30, 45, 60, 120 s
        "marked_to_approved": (3, 120.0, 282.0),  # 60, 120, 300 s: the unapproved clip is not counted
        "approved_to_rendered": (3, 150.0, 204.0),  # 90, 150, 210 s
        "rendered_to_posted": (2, 360.0, 576.0),  # 120, 600 s
        "air_to_rendered": (3, 330.0, 600.0),  # 180, 330, 630 s
        "air_to_posted": (2, 615.0, 898.5),  # 300, 930 s
    }
    labels = {s["stage"]: (s["p50"], s["p95"]) for s in day.json["stages"]}
    assert labels["air_to_marked"] == ("53 s", "1 min 51 s") and labels["air_to_posted"] == ("10 min 15 s", "14 min 59 s")
    clips = {c["id"]: c for c in day.json["clips"]}
    assert list(clips) == [c["id"], b["id"], e["id"], a["id"]]  # newest marked first; no upload, nothing older
    assert clips[a["id"]]["aired_at"] == air["a"].isoformat() + "Z"
    assert clips[c["id"]]["aired_at"] == air["c"].isoformat() + "Z"
    assert clips[a["id"]]["rendered_at"] == rendered["a"].isoformat() + "Z"
    assert clips[a["id"]]["seconds"] == {"air_to_marked": 30.0, "marked_to_approved": 60.0,
                                         "approved_to_rendered": 90.0, "rendered_to_posted": 120.0,
                                         "air_to_rendered": 180.0, "air_to_posted": 300.0}
    assert clips[e["id"]]["approved_at"] is None and clips[e["id"]]["seconds"]["marked_to_approved"] is None
    assert clips[a["id"]]["url"] == f"/recordings/{live}?clip={a['id']}"

    week = desk.api.get("/api/v1/live/timer?window=week", headers=viewer).json
    stages = _stages(week)
    assert stages["air_to_marked"] == (5, 60.0, 824.0)  # the clip marked three days ago counts in the week
    assert stages["marked_to_approved"] == (3, 120.0, 282.0)
    assert [c["id"] for c in week["clips"]][-1] == d["id"]

    # The page: one table per window, and the recent clips linking to them, in the team's time zone.
    page_client = desk.app.test_client()
    assert log_in(page_client, team.vol_b.email).status_code == 302
    page = page_client.get("/live/timer").get_data(as_text=True)
    day_table = page.split('id="timer-day"')[1].split("</table>")[0]
    row = re.search(r'data-stage="air_to_posted">(.*?)</tr>', day_table, re.S)
    assert row is not None
    assert re.findall(r'class="(?:count|p50|p95)">([^<]*)<', row.group(1)) == ["2", "10 min 15 s", "14 min 59 s"]
    week_table = page.split('id="timer-week"')[1].split("</table>")[0]
    row = re.search(r'data-stage="air_to_marked">(.*?)</tr>', week_table, re.S)
    assert row is not None
    assert re.findall(r'class="(?:count|p50|p95)">([^<]*)<', row.group(1)) == ["5", "1 min", "13 min 44 s"]
    recent = page.split('id="timer-clips"')[1]
    assert f'href="/recordings/{live}?clip={a["id"]}">Good evening</a>' in recent
    assert "Not live" not in recent and "Last week" in recent
    assert (air["a"] + timedelta(hours=5, minutes=30)).strftime("%d %b %H:%M:%S") in recent  # on air, local time
    assert day.json["timezone"] == ZONE
    assert "Air-to-clip timer" in page_client.get("/live").get_data(as_text=True)


def test_an_unknown_window_is_refused_and_logged_out_visitors_are_sent_away(desk: Desk) -> None:
    bad = desk.api.get("/api/v1/live/timer?window=month", headers=desk.team.vol_a.headers)
    assert bad.status_code == 400 and "'day'" in bad.json["error"] and "'week'" in bad.json["error"]
    empty = desk.api.get("/api/v1/live/timer", headers=desk.team.vol_a.headers).json
    assert empty["window"] == "day" and empty["clips"] == []
    assert {s["stage"]: (s["count"], s["p50"]) for s in empty["stages"]}["air_to_posted"] == (0, "–")
    anonymous = desk.app.test_client()
    assert anonymous.get("/api/v1/live/timer").status_code == 401
    page = anonymous.get("/live/timer")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
