"""Withdrawing a published clip: its page answers 410, it leaves the gallery and the feeds, its public
links stop working (local store: signed links refused; S3: objects moved out of the public prefix),
who did it is recorded, and publishing it again brings everything back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from clipper import gallery
from clipper.models import Clip, Event
from tests.conftest import make_user
from tests.gallery_setup import publish_files
from tests.media import make_video
from tests.s3server import moto_server, s3_bucket, s3_client, s3_settings  # noqa: F401  (fixtures)
from tests.web.forms import logged_in, post_form
from workers import context


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "tiny.mp4", seconds=1.5, size="160x120")


def lead_headers(ctx: context.Context) -> dict[str, str]:
    _, token = make_user(ctx, "lead@example.org", "social_lead")
    return {"Authorization": f"Bearer {token}"}


def public_paths(slug: str) -> list[str]:
    return [f"/c/{slug}", f"/embed/{slug}", f"/c/{slug}/media/video.mp4", f"/c/{slug}/media/captions.vtt",
            f"/c/{slug}/download/vertical", f"/c/{slug}/share/whatsapp"]


def test_withdraw_and_republish_on_the_local_store(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise", tags=["NHS"])
    _, other = publish_files(ctx, mp4, title="Schools answer")
    with ctx.sessions() as db:
        signed = ctx.store.url(f"clips/{clip_id}/vertical.mp4", expires=10 * 365 * 24 * 3600).removeprefix(
            "http://localhost")  # a link recorded on the render, handed out long ago
    assert client.get(signed).status_code == 200
    for path in public_paths(slug):
        assert client.get(path).status_code in (200, 302), path
    assert "Hospital promise" in client.get("/").get_data(as_text=True)  # fills the page cache too
    headers = lead_headers(ctx)
    volunteer = {"Authorization": f"Bearer {make_user(ctx)[1]}"}
    assert client.post(f"/api/v1/clips/{clip_id}/withdraw", headers=volunteer).status_code == 403

    done = client.post(f"/api/v1/clips/{clip_id}/withdraw", headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    for path in public_paths(slug):
        gone = client.get(path)
        assert gone.status_code == 410, path
        if path == f"/c/{slug}":
            text = gone.get_data(as_text=True)
            assert "withdrawn" in text and "Hospital promise" not in text and "Traceback" not in text
    assert client.get(signed).status_code == 410  # the long-lived signed link is refused
    assert client.get(f"/oembed?url=http://localhost/c/{slug}").status_code == 410
    home = client.get("/").get_data(as_text=True)
    assert "Hospital promise" not in home and "Schools answer" in home
    for feed in ("/feeds/clips.atom", "/feeds/clips.rss", "/feeds/clips.atom?tag=NHS"):
        assert slug not in client.get(feed).get_data(as_text=True)
    assert client.get(f"/c/{other}").status_code == 200  # nothing else is affected
    assert ctx.store.exists(f"clips/{clip_id}/vertical.mp4")  # kept: the local store refuses links instead

    again = client.post(f"/api/v1/clips/{clip_id}/publish", headers=headers)
    assert again.status_code == 200 and again.get_json() == {"clip_id": clip_id, "slug": slug, "status": "published",
                                                             "withdrawn_at": None}
    assert client.get(f"/c/{slug}").status_code == 200 and client.get(signed).status_code == 200
    assert "Hospital promise" in client.get("/").get_data(as_text=True)
    with ctx.sessions() as db:
        lead = db.scalar(select(Event.user_id).where(Event.action == "clip.withdrawn"))
        log = db.execute(select(Event.action, Event.user_id).where(Event.target_id == clip_id)
                         .order_by(Event.id)).all()
        assert db.get(Clip, clip_id).status == "published"
    assert [a for a, _ in log] == ["clip.published", "clip.withdrawn", "clip.republished"]
    assert lead is not None and [u for _, u in log][1:] == [lead, lead]


def test_withdraw_from_the_clip_list_form(app, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    lead = app.test_client()
    logged_in(lead, ctx, "social_lead")
    assert "Withdraw</button>" in lead.get("/clips").get_data(as_text=True)
    response = post_form(lead, f"/clips/{clip_id}/withdraw", follow_redirects=True)
    assert "is withdrawn" in response.get_data(as_text=True)
    assert app.test_client().get(f"/c/{slug}").status_code == 410
    assert "Publish again</button>" in lead.get("/clips").get_data(as_text=True)
    volunteer = app.test_client()
    logged_in(volunteer, ctx, "volunteer")
    assert post_form(volunteer, f"/clips/{clip_id}/republish").status_code == 403
    assert app.test_client().get(f"/c/{slug}").status_code == 410


def test_unpublished_clip_cannot_be_withdrawn(client, ctx, mp4: Path) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        from clipper.models import Recording

        rec = Recording(title="News", status="ready", duration=5.0)
        db.add(rec)
        db.flush()
        clip = Clip(recording_id=rec.id, start=0.5, end=2.0, status="approved")
        db.add(clip)
        db.commit()
        clip_id = clip.id
    headers = lead_headers(ctx)
    answer = client.post(f"/api/v1/clips/{clip_id}/withdraw", headers=headers)
    assert answer.status_code == 404 and "has not been published" in answer.get_json()["error"]
    assert client.post("/api/v1/clips/999999/withdraw", headers=headers).status_code == 404
    assert client.post(f"/api/v1/clips/{clip_id}/publish", headers=headers).status_code == 404


def test_withdrawn_while_downloading(client, ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    big = make_video(tmp_path / "big.mp4", seconds=20, size="640x360")
    clip_id, slug = publish_files(ctx, big, title="Hospital promise")
    stream = client.get(f"/c/{slug}/download/vertical", buffered=False)
    body = iter(stream.response)
    first = next(body)  # the phone has started receiving the file
    assert client.post(f"/api/v1/clips/{clip_id}/withdraw", headers=lead_headers(ctx)).status_code == 200
    rest = b"".join(body)
    stream.close()
    assert first + rest == big.read_bytes()  # the download under way finishes whole
    assert client.get(f"/c/{slug}/download/vertical", headers={"Range": f"bytes={len(first)}-"}).status_code == 410
    assert client.get(f"/c/{slug}/download/vertical").status_code == 410


def test_withdraw_moves_s3_objects_out_of_the_public_prefix(s3_settings, redis_url, moto_server, s3_bucket,  # noqa: F811
                                                            mp4: Path) -> None:
    from web import create_app

    settings = dataclasses.replace(s3_settings, s3_public_base_url=f"{moto_server.endpoint}/{s3_bucket}")
    # A public bucket as the README says to set one up: the policy exposes clips/ and nothing else.
    s3_client(moto_server).put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{s3_bucket}/clipper/clips/*"}]}))
    ctx = context.configure(settings, redis_url)
    app = create_app(settings, redis_url)
    client = app.test_client()
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    with ctx.sessions() as db:
        pub = gallery.publication_of(db, clip_id)
        keys = gallery.object_keys(pub)
    public = {key: ctx.store.url(key, public=True) for key in keys}
    presigned = ctx.store.url(f"clips/{clip_id}/vertical.mp4", expires=3600)
    assert all(url.startswith(f"{moto_server.endpoint}/{s3_bucket}/clipper/clips/") for url in public.values())
    assert requests.get(public[f"clips/{clip_id}/vertical.mp4"], timeout=10).content == mp4.read_bytes()
    media = client.get(f"/c/{slug}/media/video.mp4")
    assert media.status_code == 302 and media.headers["Location"] == public[f"clips/{clip_id}/vertical.mp4"]
    download = client.get(f"/c/{slug}/download/vertical")
    assert download.status_code == 302 and "response-content-disposition=attachment" in download.headers["Location"]
    got = requests.get(download.headers["Location"], timeout=10)
    assert got.status_code == 200 and got.content == mp4.read_bytes()
    assert got.headers["Content-Disposition"].startswith('attachment; filename="Hospital-promise-vertical.mp4"')

    headers = lead_headers(ctx)
    assert client.post(f"/api/v1/clips/{clip_id}/withdraw", headers=headers).status_code == 200
    for url in [*public.values(), presigned, download.headers["Location"]]:
        assert requests.get(url, timeout=10).status_code in (403, 404), url  # nothing answers any more
    assert client.get(f"/c/{slug}/media/video.mp4").status_code == 410
    assert sorted(ctx.store.keys("withdrawn/")) == sorted(f"withdrawn/{k}" for k in keys)
    assert not any(ctx.store.exists(k) for k in keys)

    assert client.post(f"/api/v1/clips/{clip_id}/publish", headers=headers).status_code == 200
    assert requests.get(public[f"clips/{clip_id}/vertical.mp4"], timeout=10).content == mp4.read_bytes()
    assert ctx.store.keys("withdrawn/") == []
