"""Migrations and models on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from clipper import clips as clip_service
from clipper import recordings as recording_service
from clipper.errors import InvalidInput
from clipper.models import Clip, Recording, Render, User, Word
from clipper.transcript import Segment, Transcript
from clipper.transcript import Word as TWord
from tests.conftest import engine_for


def _transcript() -> Transcript:
    words = (TWord(0.0, 0.5, "ask"), TWord(0.5, 0.8, "not"), TWord(0.8, 1.2, "what"), TWord(1.2, 1.9, "your"),
             TWord(1.9, 2.6, "country"))
    return Transcript(language="en", duration=3.0, segments=(Segment(0.0, 2.6, "ask not what your country", words),))


def test_migrations_create_every_table(database_url: str) -> None:
    sessions = engine_for(database_url)
    with sessions() as db:
        tables = set(inspect(db.get_bind()).get_table_names())
    assert {"users", "api_tokens", "recordings", "segments", "words", "clips", "renders", "channels", "posts",
            "events", "alembic_version"} <= tables


def test_transcript_and_clip_round_trip(database_url: str) -> None:
    sessions = engine_for(database_url)
    with sessions() as db:
        user = User(email="a@example.org", role="volunteer")
        db.add(user)
        db.flush()
        rec = recording_service.create_recording(db, title="PMQs", created_by_id=user.id)
        rec.duration, rec.status = 3.0, "ready"
        assert recording_service.save_transcript(db, rec, _transcript()) == 5
        db.commit()
        clip = clip_service.create_clip(db, rec, start=0.45, end=2.0, title="Ask not", created_by_id=user.id)
        db.commit()
        clip_id = clip.id
    with sessions() as db:
        clip = db.get(Clip, clip_id)
        assert [w["text"] for w in clip.caption_words] == ["not", "what", "your"]
        assert clip.presets == ["landscape", "square", "vertical"]
        assert db.scalar(select(Word).where(Word.idx == 4)).text == "country"
        # saving a transcript again replaces it rather than duplicating it
        rec = db.get(Recording, clip.recording_id)
        recording_service.save_transcript(db, rec, _transcript())
        db.commit()
        assert len(db.scalars(select(Word).where(Word.recording_id == rec.id)).all()) == 5


def test_one_render_row_per_clip_and_preset(database_url: str) -> None:
    sessions = engine_for(database_url)
    with sessions() as db:
        rec = recording_service.create_recording(db, title="x")
        rec.duration, rec.status = 3.0, "ready"
        clip = clip_service.create_clip(db, rec, start=0, end=1)
        db.add(Render(clip_id=clip.id, preset="landscape"))
        db.commit()
        db.add(Render(clip_id=clip.id, preset="landscape"))
        with pytest.raises(IntegrityError):
            db.commit()


def test_renders_finished_before_0018_keep_their_finish_as_the_first(database_url: str) -> None:
    from datetime import datetime

    from alembic import command

    from clipper.db import alembic_config, upgrade

    sessions = engine_for(database_url)
    finished = datetime(2026, 3, 1, 18, 30, 5)
    with sessions() as db:
        rec = recording_service.create_recording(db, title="x")
        rec.duration, rec.status = 3.0, "ready"
        clip = clip_service.create_clip(db, rec, start=0, end=1)
        db.add_all([Render(clip_id=clip.id, preset="vertical", status="done", finished_at=finished),
                    Render(clip_id=clip.id, preset="square", status="queued")])
        db.commit()
    sessions.kw["bind"].dispose()
    command.downgrade(alembic_config(database_url), "0017")
    upgrade(database_url)
    with sessions() as db:
        rows = {r.preset: r.first_finished_at for r in db.scalars(select(Render))}
    assert rows == {"vertical": finished, "square": None}
    sessions.kw["bind"].dispose()


@pytest.mark.parametrize("start,end,message", [
    (2.0, 1.0, "must be after its in point"),
    (0.0, 99.0, "only 3.00 s long"),
    (-1.0, 1.0, "cannot start before"),
    ("soon", 1.0, "number of seconds"),
])
def test_bad_clip_ranges_are_refused_and_nothing_is_stored(sqlite_url: str, start, end, message) -> None:
    sessions = engine_for(sqlite_url)
    with sessions() as db:
        rec = recording_service.create_recording(db, title="x")
        rec.duration, rec.status = 3.0, "ready"
        db.commit()
        with pytest.raises(InvalidInput, match=message):
            clip_service.create_clip(db, rec, start=start, end=end)
        db.rollback()
        assert db.scalars(select(Clip)).all() == []
