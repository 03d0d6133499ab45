"""Publishing from the render job: an approved clip whose renders are done gets a slug, a share copy
small enough for link previews and Web Share, and a light poster; a re-render keeps its links."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from sqlalchemy import select

from clipper.models import Clip, Event, Publication
from tests.clipper.test_render import barcode_video
from tests.gallery_setup import WORDS, add_clip, publish_rendered
from workers.jobs.render import render_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return barcode_video(tmp_path_factory.mktemp("media") / "barcode.mp4", seconds=3)


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def test_render_publishes_with_a_share_copy_and_poster(ctx, source: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_rendered(ctx, source, title="Hospitals", presets=("vertical", "landscape"))
    with ctx.sessions() as db:
        clip = db.get(Clip, clip_id)
        pub = db.scalar(select(Publication).where(Publication.clip_id == clip_id))
        assert clip.status == "published" and pub.status == "published"
        assert len(slug) == 11 and slug.replace("-", "").replace("_", "").isalnum()
        assert [v["preset"] for v in pub.variants] == ["vertical", "landscape"]  # the phone's format first
        assert (pub.share_width, pub.share_height) == (720, 1280)
        share = ctx.store.open(pub.share_key).read()
        assert len(share) == pub.share_size < 45 * 1024 * 1024
        boxes = top_level_boxes(share)
        assert boxes.index("moov") < boxes.index("mdat") and "moof" not in boxes  # faststart, not fragmented
        image = ctx.store.open(pub.image_key).read()
        assert image[:3] == b"\xff\xd8\xff" and len(image) == pub.image_size < 300 * 1024
        assert pub.caption_text == " ".join(w["text"] for w in WORDS)
        events = db.scalars(select(Event.action).where(Event.target_id == clip_id)).all()
        assert events.count("clip.published") == 1


def test_unapproved_clip_is_not_published(ctx, source: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id = add_clip(ctx, source, status="submitted")
    render_clip(clip_id)
    with ctx.sessions() as db:
        assert db.get(Clip, clip_id).status == "submitted"
        assert db.scalar(select(Publication).where(Publication.clip_id == clip_id)) is None


def test_rerender_after_a_caption_fix_keeps_slug_and_links(ctx, client, source: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_rendered(ctx, source, title="Hospitals")
    page = client.get(f"/c/{slug}")
    old_sha = ctx.store.stat(f"clips/{clip_id}/vertical.mp4").sha256
    with ctx.sessions() as db:
        clip = db.get(Clip, clip_id)
        old_url = clip.renders[0].public_url  # the signed link recorded by the first render
        clip.caption_words = [{**w, "text": w["text"].upper()} for w in WORDS]  # a caption fix
        db.commit()
    render_clip(clip_id)
    assert client.get(f"/c/{slug}").status_code == 200  # still public while and after it re-renders
    with ctx.sessions() as db:
        pub = db.scalar(select(Publication).where(Publication.clip_id == clip_id))
        assert pub.slug == slug and pub.caption_text == "HOSPITALS OPEN SPRING"
        new_sha = pub.main["sha256"]
        events = db.scalars(select(Event.action).where(Event.target_id == clip_id)).all()
    assert new_sha != old_sha and new_sha == ctx.store.stat(f"clips/{clip_id}/vertical.mp4").sha256
    client.application.extensions["clipper.page_cache"].clear()  # as the TTL would (the worker is elsewhere)
    again = client.get(f"/c/{slug}")
    assert again.headers["ETag"] != page.headers["ETag"]
    fetched = client.get(f"/c/{slug}/download/vertical").data
    assert fetched == ctx.store.open(f"clips/{clip_id}/vertical.mp4").read()
    old = client.get(old_url.removeprefix("http://localhost"))
    assert old.status_code == 200 and old.data == fetched  # the old link works and gives the new file
    assert events.count("clip.published") == 1
