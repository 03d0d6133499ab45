"""The gallery service on SQLite and PostgreSQL: publishing is idempotent and keeps its slug, the
queries filter and search as supporters expect, counts add up under concurrent requests, and
withdrawal runs the registered hooks inside its transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import select

from clipper import gallery
from clipper.errors import Conflict, InvalidInput, NotFound
from clipper.models import Clip, Event, Recording, Render
from tests.conftest import engine_for


def add(db, title: str, *, speaker: str = "", tags: list[str] | None = None, words: str = "",  # type: ignore[no-untyped-def]
        status: str = "approved", done: bool = True) -> Clip:
    rec = Recording(title="News", status="ready", duration=60.0)
    db.add(rec)
    db.flush()
    clip = Clip(recording_id=rec.id, start=1.0, end=3.5, title=title, speaker=speaker, tags=tags or [],
                status=status, caption_words=[{"start": 1.0, "end": 1.2, "text": w} for w in words.split()])
    db.add(clip)
    db.flush()
    clip.renders.append(Render(preset="vertical", status="done" if done else "rendering",
                               storage_key=f"clips/{clip.id}/vertical.mp4", size=10, width=1080, height=1920))
    db.flush()
    return clip


def test_publish_is_idempotent_and_refuses_unready_clips(database_url: str) -> None:
    with engine_for(database_url)() as db:
        clip = add(db, "Hospitals")
        first = gallery.publish(db, clip, None)
        again = gallery.publish(db, clip, None)
        assert first.id == again.id and first.slug == again.slug and clip.status == "published"
        assert db.scalars(select(Event.action).where(Event.target_id == clip.id)).all() == ["clip.published"]
        with pytest.raises(Conflict):
            gallery.publish(db, add(db, "Draft", status="submitted"), None)
        with pytest.raises(Conflict):
            gallery.publish(db, add(db, "Half", done=False), None)
        slugs = {gallery.publish(db, add(db, f"c{i}"), None).slug for i in range(20)}
        assert len(slugs) == 20 and all(len(s) == 11 for s in slugs)


def test_search_filters_and_pages(database_url: str) -> None:
    with engine_for(database_url)() as db:
        for title, speaker, tags, words, day in [
            ("Budget", "Jo Bloggs", ["Economy"], "taxes rise", datetime(2026, 6, 30, 23, 30)),  # 1 July in London
            ("Hospital 100% open", "Sam Smith", ["NHS", "economy"], "new wards", datetime(2026, 7, 2, 9)),
            ("Schools", "Jo Bloggs", ["Education"], "teachers_pay", datetime(2026, 7, 3, 9)),
        ]:
            pub = gallery.publish(db, add(db, title, speaker=speaker, tags=tags, words=words), None)
            pub.published_at = day
        db.commit()

        def titles(**kw: object) -> list[str]:
            return [p.title for p in gallery.search(db, gallery.GalleryQuery(**kw), "Europe/London").items]  # type: ignore[arg-type]

        assert titles() == ["Schools", "Hospital 100% open", "Budget"]
        assert titles(speaker="Jo Bloggs") == ["Schools", "Budget"]
        assert titles(tag="ECONOMY") == ["Hospital 100% open", "Budget"]
        assert titles(since=date(2026, 7, 1), until=date(2026, 7, 1)) == ["Budget"]  # the team's day, not UTC's
        assert titles(q="WARDS new") == ["Hospital 100% open"]
        assert titles(q="100%") == ["Hospital 100% open"] and titles(q="teachers_") == ["Schools"]  # no wildcards
        assert titles(q="%") == ["Hospital 100% open"]
        page = gallery.search(db, gallery.GalleryQuery(page=2), "Europe/London", page_size=2)
        assert [p.title for p in page.items] == ["Budget"] and (page.total, page.page, page.pages) == (3, 2, 2)
        assert gallery.search(db, gallery.GalleryQuery(page=99), "Europe/London", page_size=2).page == 2
        assert gallery.speakers(db) == ["Jo Bloggs", "Sam Smith"]
        assert gallery.tags(db) == ["Economy", "Education", "NHS"]  # one spelling per tag


def test_withdraw_runs_hooks_and_refuses_links(database_url: str) -> None:
    seen: list[tuple[int, int | None]] = []

    def hook(session, clip, user_id) -> None:  # type: ignore[no-untyped-def]
        seen.append((clip.id, user_id))
        assert clip.status == "withdrawn"  # inside the same transaction, before it commits

    gallery.on_withdraw.append(hook)
    try:
        with engine_for(database_url)() as db:
            clip = add(db, "Hospitals")
            pub = gallery.publish(db, clip, None)
            assert not gallery.withdrawn_key(db, f"clips/{clip.id}/vertical.mp4")
            gallery.withdraw(db, clip, user_id=None)
            gallery.withdraw(db, clip, user_id=None)  # again: harmless, no second event
            db.commit()
            assert seen == [(clip.id, None)]
            assert gallery.withdrawn_key(db, f"clips/{clip.id}/vertical.mp4")
            assert not gallery.withdrawn_key(db, "recordings/1/original.mp4")
            assert gallery.search(db, gallery.GalleryQuery(), "UTC").total == 0
            gallery.republish(db, clip, user_id=None)
            with pytest.raises(Conflict):
                gallery.republish(db, clip, user_id=None)
            db.commit()
            assert pub.status == "published" and clip.status == "published"
            with pytest.raises(NotFound):
                gallery.withdraw(db, add(db, "Never published"), user_id=None)
    finally:
        gallery.on_withdraw.remove(hook)


def test_counts_add_up_under_concurrent_requests(database_url: str) -> None:
    sessions = engine_for(database_url)
    with sessions() as db:
        clip_id = gallery.publish(db, add(db, "Hospitals"), None).clip_id
        db.commit()

    def one(i: int) -> None:
        with sessions() as db:
            gallery.count(db, clip_id, "download", "vertical" if i % 2 else "square")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(40)))
    with sessions() as db:
        gallery.count(db, clip_id, "share", "whatsapp")
        with pytest.raises(InvalidInput):
            gallery.count(db, clip_id, "share", "<script>")
        counts = gallery.counts_for(db, [clip_id])[clip_id]
    assert counts == {"download": 40, "download:vertical": 20, "download:square": 20, "share": 1,
                      "share:whatsapp": 1}


def test_withdrawing_cancels_the_clips_unsent_posts(database_url: str) -> None:
    from clipper.models import Channel, Post

    with engine_for(database_url)() as db:
        clip = add(db, "Withdrawn soon")
        gallery.publish(db, clip, None)
        channel = Channel(kind="webhook", name="Campaign tools")
        db.add(channel)
        db.flush()
        when = datetime(2030, 1, 1, 9)
        db.add_all([Post(clip_id=clip.id, channel_id=channel.id, scheduled_at=when, due_at=when, status="scheduled"),
                    Post(clip_id=clip.id, channel_id=channel.id, scheduled_at=when, status="sent")])
        db.commit()
        gallery.withdraw(db, clip, user_id=None)
        db.commit()
        states = sorted(db.scalars(select(Post.status).where(Post.clip_id == clip.id)))
        assert states == ["cancelled", "sent"]  # what went out stays; what had not is called off
        assert "withdrawn" in db.scalar(select(Post.error).where(Post.status == "cancelled"))
