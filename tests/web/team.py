"""A clipping team for authorization tests: two volunteers, two social leads and an admin, each with an
API token, and a ready recording with a transcript (and, where asked, a real video in storage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clipper.models import Clip, Event, Recording
from clipper.recordings import save_transcript
from tests.conftest import make_user
from tests.web.test_recording_page import _transcript


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Team:
    vol_a: Member
    vol_b: Member
    lead: Member
    lead2: Member
    admin: Member


def member(ctx: Any, email: str, role: str) -> Member:
    user, token = make_user(ctx, email, role)
    return Member(user.id, email, {"Authorization": f"Bearer {token}", "Accept": "application/json"})


def make_team(ctx: Any) -> Team:
    return Team(member(ctx, "ann@example.org", "volunteer"), member(ctx, "bob@example.org", "volunteer"),
                member(ctx, "lee@example.org", "social_lead"), member(ctx, "liz@example.org", "social_lead"),
                member(ctx, "ada@example.org", "admin"))


def app_on(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> tuple[Any, Any]:
    """The app and worker context on ``database_url`` (the ``app`` fixture is SQLite only); ``overrides``
    are further settings."""
    from clipper.settings import Settings
    from web import create_app
    from workers import context

    settings = Settings.from_env({}, data_dir=data_dir, database_url=database_url, secret_key="test-secret",
                                 public_base_url="http://localhost", **overrides)
    ctx = context.configure(settings, redis_url)
    app = create_app(settings, redis_url)
    app.config.update(TESTING=True)
    return app, ctx


def ready_recording(sessions: Any, *, original: Path | None = None, store: Any = None) -> int:
    with sessions() as db:
        rec = Recording(title="Evening news", status="ready", duration=30.0,
                        probe={"fps": 25.0, "width": 320, "height": 240, "has_video": True})
        db.add(rec)
        db.flush()
        rec.original_key = f"recordings/{rec.id}/original.mp4"
        if original is not None:
            store.put_file(rec.original_key, original)
        save_transcript(db, rec, _transcript())
        db.commit()
        return rec.id


def mark(client: Any, who: Member, rec_id: int, title: str = "Hospital promise", *, submit: bool = False) -> dict:
    """A clip ``who`` marks on the recording (words 0-3, 1.0-2.9 s); submitted for review when asked."""
    made = client.post(f"/api/v1/recordings/{rec_id}/clips", headers=who.headers,
                       json={"start": 1.0, "end": 2.9, "title": title, "presets": ["landscape"]})
    assert made.status_code == 201, made.json
    if not submit:
        return made.json
    sent = client.post(f"/api/v1/clips/{made.json['id']}/submit", headers=who.headers,
                       json={"version": made.json["version"]})
    assert sent.status_code == 200, sent.json
    return sent.json


def stored(sessions: Any, clip_id: int) -> Clip:
    with sessions() as db:
        clip = db.get(Clip, clip_id)
        db.expunge(clip)
        return clip


def events(sessions: Any, action: str, target_id: int | None = None) -> list[Event]:
    with sessions() as db:
        query = db.query(Event).filter(Event.action == action)
        if target_id is not None:
            query = query.filter(Event.target_id == target_id)
        rows = query.order_by(Event.id).all()
        db.expunge_all()
        return rows
