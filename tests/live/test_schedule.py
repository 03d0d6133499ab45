"""A live source's schedule: weekly windows in the team's time zone that start and stop its recorder —
the same wall-clock time on both sides of a clock change, past midnight, a source stopped by hand stays
stopped until its next window — and bad schedules refused with what to write instead."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from clipper.db import make_engine, make_sessionmaker
from clipper.errors import InvalidInput
from clipper.live import schedule
from clipper.models import Event, LiveSource
from tests.conftest import make_user

LONDON = "Europe/London"


def test_windows_keep_the_teams_wall_clock_across_the_clock_change() -> None:
    daily = schedule.parse("daily 09:00-10:00")
    # 2026-03-29: the clocks go forward at 01:00 UTC; 09:00 in London is 08:00 UTC that day, 09:00 UTC the day before
    assert schedule.window_at(daily, datetime(2026, 3, 28, 9, 30), LONDON) == datetime(2026, 3, 28, 9, 0)
    assert schedule.window_at(daily, datetime(2026, 3, 29, 8, 30), LONDON) == datetime(2026, 3, 29, 8, 0)
    assert schedule.window_at(daily, datetime(2026, 3, 29, 9, 30), LONDON) is None  # 10:30 local: over
    # 2026-10-25: back an hour; 09:00 local is 09:00 UTC again
    assert schedule.window_at(daily, datetime(2026, 10, 25, 9, 10), LONDON) == datetime(2026, 10, 25, 9, 0)


def test_weekdays_lists_and_windows_past_midnight() -> None:
    windows = schedule.parse("Mon-Fri 12:00-13:00; Sat,Sun 23:30-00:30\nwednesday 19:00-19:30")
    assert [sorted(w.days) for w in windows] == [[0, 1, 2, 3, 4], [5, 6], [2]]
    # 2026-12-02 is a Wednesday; London is on UTC in winter
    assert schedule.window_at(windows, datetime(2026, 12, 2, 12, 59), LONDON) == datetime(2026, 12, 2, 12, 0)
    assert schedule.window_at(windows, datetime(2026, 12, 2, 19, 5), LONDON) == datetime(2026, 12, 2, 19, 0)
    assert schedule.window_at(windows, datetime(2026, 12, 5, 12, 30), LONDON) is None  # Saturday noon
    assert schedule.window_at(windows, datetime(2026, 12, 6, 0, 15), LONDON) == datetime(2026, 12, 5, 23, 30)
    assert schedule.window_at(windows, datetime(2026, 12, 7, 0, 15), LONDON) == datetime(2026, 12, 6, 23, 30)
    assert schedule.window_at(windows, datetime(2026, 12, 8, 0, 15), LONDON) is None  # Monday 00:15: Sun's is over
    assert schedule.window_at(schedule.parse("Fri-Mon 08:00-09:00"), datetime(2026, 12, 6, 8, 0), LONDON)  # wraps


@pytest.mark.parametrize(("text", "says"), [
    ("weekdays at noon", "not a schedule window"),
    ("Mon-Fri 25:00-26:00", "not a time of day"),
    ("Funday 12:00-13:00", "Mon, Tue"),
    ("Mon 12:00-12:00", "same time"),
])
def test_a_bad_schedule_says_what_to_write(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as err:
        schedule.parse(text)
    assert says in err.value.message


def test_the_schedule_starts_and_stops_a_source_and_respects_a_manual_stop(database_url: str) -> None:
    sessions = make_sessionmaker(make_engine(database_url))
    with sessions() as db:
        db.add(LiveSource(name="PMQs", url="http://127.0.0.1:9/live.m3u8", schedule="Wed 12:00-12:45"))
        db.commit()

    def tick(now: datetime) -> tuple[list[tuple[int, str]], bool]:
        with sessions() as db:
            changed = schedule.apply(db, now, LONDON)
            db.commit()
            return changed, db.scalars(db.query(LiveSource.active).statement).one()

    assert tick(datetime(2026, 12, 2, 11, 59)) == ([], False)
    assert tick(datetime(2026, 12, 2, 12, 0)) == ([(1, "start")], True)
    assert tick(datetime(2026, 12, 2, 12, 10)) == ([], True)  # once per window
    with sessions() as db:  # someone stops it by hand: the schedule does not start it again in this window
        db.get(LiveSource, 1).active = False
        db.commit()
    assert tick(datetime(2026, 12, 2, 12, 20)) == ([], False)
    assert tick(datetime(2026, 12, 2, 12, 45)) == ([], False)
    assert tick(datetime(2026, 12, 9, 12, 1)) == ([(1, "start")], True)  # next Wednesday
    assert tick(datetime(2026, 12, 9, 12, 46)) == ([(1, "stop")], False)
    with sessions() as db:
        actions = [(e.action, e.detail.get("by")) for e in db.query(Event).order_by(Event.id)]
    assert actions == [("live_source.start", "schedule"), ("live_source.start", "schedule"),
                       ("live_source.stop", "schedule")]


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1:*",))


def test_leads_set_a_schedule_through_the_api_and_the_page(client, ctx) -> None:  # type: ignore[no-untyped-def]
    lead = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    volunteer = {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org', 'volunteer')[1]}"}
    made = client.post("/api/v1/live-sources", headers=lead, json={
        "name": "PMQs", "url": "http://127.0.0.1:9/live.m3u8", "schedule": "wed 12:00-12:45"})
    assert made.status_code == 201 and made.json["schedule"] == "wed 12:00-12:45", made.json
    sid = made.json["id"]
    bad = client.post(f"/api/v1/live-sources/{sid}/schedule", headers=lead, json={"schedule": "noon-ish"})
    assert bad.status_code == 400 and "Mon-Fri 12:00-13:00" in bad.json["error"]
    assert client.post(f"/api/v1/live-sources/{sid}/schedule", headers=volunteer,
                       json={"schedule": "daily 00:00-23:59"}).status_code == 403
    changed = client.post(f"/api/v1/live-sources/{sid}/schedule", headers=lead,
                          json={"schedule": "Mon-Fri 12:00-13:00; Sun 10:00-11:00"})
    assert changed.status_code == 200 and changed.json["schedule"] == "Mon-Fri 12:00-13:00; Sun 10:00-11:00"
    page = client.get("/live", headers=lead).get_data(as_text=True)
    assert "Records Mon-Fri 12:00-13:00; Sun 10:00-11:00" in page
    assert client.post(f"/api/v1/live-sources/{sid}/schedule", headers=lead, json={"schedule": ""}).json[
        "schedule"] == ""
