"""The render job: a clip's variants land in object storage with their record, through a real worker."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from clipper.errors import StorageError
from clipper.models import Branding, Clip, Recording, Render
from tests.clipper.test_render import barcode_video, frame_numbers
from tests.conftest import run_jobs
from tests.s3server import moto_server, s3_bucket, s3_client, s3_settings  # noqa: F401  (fixtures)
from workers import context, queues
from workers.jobs.render import preview_clip, render_clip

WORDS = [{"start": 1.3, "end": 1.6, "text": "Ask"}, {"start": 1.7, "end": 1.9, "text": "not"},
         {"start": 2.0, "end": 2.3, "text": "what"}, {"start": 2.4, "end": 2.8, "text": "your"}]


@pytest.fixture(scope="module")
def barcode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return barcode_video(tmp_path_factory.mktemp("media") / "barcode.mp4")


def add_clip(ctx: context.Context, source: Path, *, start: float = 1.2, end: float = 3.0,
             presets: tuple[str, ...] = ("landscape",), **fields: object) -> int:
    fields.setdefault("status", "approved")  # only approved clips are rendered for publishing
    with ctx.sessions() as session:
        rec = Recording(title="News", status="ready", duration=5.0)
        session.add(rec)
        session.flush()
        rec.original_key = f"recordings/{rec.id}/original.mp4"
        ctx.store.put_file(rec.original_key, source)
        clip = Clip(recording_id=rec.id, start=start, end=end, title="t", caption_words=WORDS,
                    presets=list(presets), **fields)
        session.add(clip)
        session.commit()
        return clip.id


def renders(ctx: context.Context, clip_id: int) -> dict[str, Render]:
    with ctx.sessions() as session:
        rows = session.query(Render).filter_by(clip_id=clip_id).all()
        session.expunge_all()
        return {r.preset: r for r in rows}


@pytest.mark.slow
def test_render_job_stores_a_captioned_landscape_mp4(ctx, redis_url, client, barcode: Path, tmp_path: Path) -> None:
    clip_id = add_clip(ctx, barcode, speaker="Jo Bloggs")
    queues.enqueue_render(ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "done", row.error
    assert row.storage_key == f"clips/{clip_id}/landscape.mp4" and row.progress == 1.0
    assert (row.width, row.height) == (320, 240) and abs(row.duration - 1.8) <= 0.04
    assert row.public_url.startswith("http://localhost/files/clips/")
    # The recorded link outlives the job (years, not the default hour) and downloads the object.
    expires = int(parse_qs(urlparse(row.public_url).query)["expires"][0])
    assert expires > time.time() + 5 * 365 * 24 * 3600
    served = client.get(row.public_url.removeprefix("http://localhost"))
    assert served.status_code == 200
    assert served.data == ctx.store.open(row.storage_key).read() and len(served.data) == row.size
    stored = ctx.store.stat(row.storage_key)
    assert stored is not None and (stored.size, stored.sha256) == (row.size, row.sha256)
    local = ctx.store.get_file(row.storage_key, tmp_path / "out.mp4")
    info = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                           str(local)], capture_output=True, text=True, check=True).stdout.split()
    assert info == ["h264", "aac"]
    numbers = frame_numbers(local, 320, 240)
    assert (numbers[0], numbers[-1], len(numbers)) == (30, 74, 45)
    vtt = ctx.store.open(row.vtt_key).read().decode()
    cue_words = [w for line in vtt.splitlines()[1:] if line and "-->" not in line for w in line.split()]
    assert cue_words == [w["text"] for w in WORDS]
    assert ctx.store.exists(row.srt_key) and ctx.store.exists(row.poster_key)


@pytest.mark.slow
def test_rerender_overwrites_and_preview_is_replaced(ctx, redis_url, barcode: Path) -> None:
    clip_id = add_clip(ctx, barcode, presets=("landscape", "square"), status="submitted")
    queues.enqueue_preview(ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))
    first = renders(ctx, clip_id)["landscape"]
    assert first.status == "preview" and ctx.store.exists(first.storage_key)
    assert first.storage_key == f"previews/{clip_id}/landscape.mp4"  # private, never under clips/
    with ctx.sessions() as session:
        session.get(Clip, clip_id).status = "approved"
        session.commit()
    assert first.first_finished_at is None  # a rough cut is not a render anyone can post
    render_clip(clip_id)
    once = renders(ctx, clip_id)["landscape"]
    assert once.first_finished_at is not None and once.first_finished_at == once.finished_at
    render_clip(clip_id)
    rows = renders(ctx, clip_id)
    assert {r.status for r in rows.values()} == {"done"}
    # The re-render moves finished_at; when it was first ready (the air-to-clip timer's "rendered") stays.
    assert rows["landscape"].finished_at > once.finished_at
    assert rows["landscape"].first_finished_at == once.first_finished_at
    assert rows["landscape"].storage_key == f"clips/{clip_id}/landscape.mp4"  # the full render replaced the preview
    mp4s = [k for k in ctx.store.keys(f"clips/{clip_id}/") if k.endswith(".mp4") and not k.endswith("/share.mp4")]
    assert sorted(mp4s) == [f"clips/{clip_id}/landscape.mp4", f"clips/{clip_id}/square.mp4"]
    preview_clip(clip_id)  # a late preview never covers a finished render
    assert renders(ctx, clip_id)["landscape"].storage_key == f"clips/{clip_id}/landscape.mp4"
    assert renders(ctx, clip_id)["landscape"].status == "done"


def test_missing_original_is_a_clear_error(ctx, barcode: Path) -> None:
    clip_id = add_clip(ctx, barcode)
    with ctx.sessions() as session:
        rec = session.get(Clip, clip_id).recording
        ctx.store.delete(rec.original_key)
    render_clip(clip_id)
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "failed" and "original file is no longer in storage" in row.error


def test_required_imprint_refuses_the_render(ctx, barcode: Path) -> None:
    clip_id = add_clip(ctx, barcode)
    with ctx.sessions() as session:
        Branding.current(session).imprint_required = True
        session.commit()
    render_clip(clip_id)
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "failed" and "promoter imprint" in row.error


@pytest.fixture
def s3_ctx(s3_settings, redis_url):  # type: ignore[no-untyped-def]  # noqa: F811
    return context.configure(s3_settings, redis_url)


@pytest.mark.slow
def test_renders_land_in_s3_once_per_variant(s3_ctx, barcode: Path, tmp_path: Path) -> None:
    clip_id = add_clip(s3_ctx, barcode, start=1.0, end=2.0, presets=("landscape", "vertical"))
    render_clip(clip_id)
    render_clip(clip_id)
    rows = renders(s3_ctx, clip_id)
    assert {r.status for r in rows.values()} == {"done"}, [r.error for r in rows.values()]
    keys = s3_ctx.store.keys(f"clips/{clip_id}/")
    variants = sorted(k for k in keys if k.endswith(".mp4") and not k.endswith("/share.mp4"))  # share: the gallery's
    assert variants == [f"clips/{clip_id}/landscape.mp4", f"clips/{clip_id}/vertical.mp4"]
    for row in rows.values():
        stored = s3_ctx.store.stat(row.storage_key)
        assert stored is not None and stored.size == row.size and stored.content_type == "video/mp4"
        assert row.public_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(row.public_url, timeout=10) as resp:  # the recorded link, from outside
            assert resp.status == 200
            assert resp.read() == s3_ctx.store.open(row.storage_key).read()


def test_s3_public_base_url_is_recorded_and_downloads(s3_settings, redis_url, moto_server, s3_bucket,  # noqa: F811
                                                      barcode: Path) -> None:
    # What an operator does (Clipper sets no ACLs): a bucket policy that lets anyone read the clips.
    s3_client(moto_server).put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{s3_bucket}/clipper/clips/*"}]}))
    settings = dataclasses.replace(s3_settings, s3_public_base_url=f"{moto_server.endpoint}/{s3_bucket}")
    ctx = context.configure(settings, redis_url)
    clip_id = add_clip(ctx, barcode, start=1.0, end=2.0, status="submitted")
    assert preview_clip(clip_id) == "preview"  # the rough cut is private: outside clips/, no public URL
    row = renders(ctx, clip_id)["landscape"]
    assert row.storage_key == f"previews/{clip_id}/landscape.mp4" and row.public_url == ""
    with ctx.sessions() as session:
        session.get(Clip, clip_id).status = "approved"
        session.commit()
    render_clip(clip_id)
    row = renders(ctx, clip_id)["landscape"]
    assert row.public_url == f"{moto_server.endpoint}/{s3_bucket}/clipper/clips/{clip_id}/landscape.mp4"
    with urllib.request.urlopen(row.public_url, timeout=10) as resp:
        assert resp.status == 200 and resp.read() == ctx.store.open(row.storage_key).read()


@pytest.mark.slow
def test_storage_outage_is_retried_and_never_recorded_done(s3_ctx, moto_server, barcode: Path) -> None:  # noqa: F811
    clip_id = add_clip(s3_ctx, barcode, start=1.0, end=1.6)
    # Writes of the video are acknowledged and thrown away: the object never arrives.
    moto_server.drop(times=None, when=lambda e: e["REQUEST_METHOD"] == "PUT" and e["PATH_INFO"].endswith(".mp4"))
    with pytest.raises(StorageError):
        render_clip(clip_id)
    row = renders(s3_ctx, clip_id)["landscape"]
    assert row.status == "failed" and "storage" in row.error and row.sha256 == ""
    assert not s3_ctx.store.exists(f"clips/{clip_id}/landscape.mp4")
    moto_server.heal()
    render_clip(clip_id)  # what RQ's retry does
    row = renders(s3_ctx, clip_id)["landscape"]
    assert row.status == "done"
    assert s3_ctx.store.stat(row.storage_key).size == row.size


def test_saving_a_clip_makes_a_rough_preview_then_the_render_replaces_it(client, auth, ctx, redis_url,
                                                                          barcode: Path) -> None:
    from tests.conftest import make_user

    lead = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    with ctx.sessions() as session:
        rid = session.get(Clip, add_clip(ctx, barcode)).recording_id
    resp = client.post("/api/v1/clips", headers=auth, json={"recording_id": rid, "start": 1.0, "end": 2.0,
                                                             "presets": ["landscape"]})
    assert resp.status_code == 201, resp.json
    clip_id = resp.json["id"]
    run_jobs(redis_url, ("render",))
    [render] = client.get(f"/api/v1/clips/{clip_id}", headers=auth).json["renders"]
    assert render["status"] == "preview" and render["url"]
    made = client.patch(f"/api/v1/clips/{clip_id}", headers=auth, json={"version": 1, "title": "Ask not"})
    sent = client.post(f"/api/v1/clips/{clip_id}/submit", headers=auth, json={"version": made.json["version"]})
    approved = client.post(f"/api/v1/clips/{clip_id}/approve", headers=lead, json={"version": sent.json["version"]})
    assert approved.status_code == 200, approved.json
    run_jobs(redis_url, ("render",))
    [render] = client.get(f"/api/v1/clips/{clip_id}", headers=auth).json["renders"]
    assert render["status"] == "done" and render["storage_key"] == f"clips/{clip_id}/landscape.mp4"


def _mp4_put(environ: dict) -> bool:  # type: ignore[type-arg]
    return environ["REQUEST_METHOD"] == "PUT" and environ["PATH_INFO"].endswith(".mp4")


@pytest.mark.slow
def test_an_outage_fails_the_job_for_rq_to_retry_and_the_retry_finishes(s3_ctx, moto_server, redis_url,  # noqa: F811
                                                                         barcode: Path) -> None:
    """Through a real worker: the job fails while S3 loses writes, RQ holds a retry, the retry lands it."""
    from rq import Queue
    from rq.job import Job

    clip_id = add_clip(s3_ctx, barcode, start=1.0, end=1.6)
    moto_server.drop(times=None, when=_mp4_put)
    job = queues.enqueue_render(s3_ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))
    row = renders(s3_ctx, clip_id)["landscape"]
    assert row.status == "failed" and row.sha256 == "" and "storage" in row.error
    job = Job.fetch(job.id, connection=s3_ctx.redis)
    assert job.get_status(refresh=True) == "scheduled" and job.retries_left == 1  # RQ will try again
    moto_server.heal()
    queue = Queue("render", connection=s3_ctx.redis)
    queue.scheduled_job_registry.remove(job)
    queue.enqueue_job(job)  # what RQ's scheduler does when the retry interval is up
    run_jobs(redis_url, ("render",))
    row = renders(s3_ctx, clip_id)["landscape"]
    assert row.status == "done"
    data = s3_ctx.store.open(row.storage_key).read()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256)


@pytest.mark.slow
def test_a_brief_outage_mid_upload_is_retried_within_the_job(s3_ctx, moto_server, barcode: Path) -> None:  # noqa: F811
    clip_id = add_clip(s3_ctx, barcode, start=1.0, end=1.6)
    # More failures than botocore's own attempts: our upload loop must try again, then verify.
    moto_server.fail(503, times=4, when=_mp4_put)
    render_clip(clip_id)
    row = renders(s3_ctx, clip_id)["landscape"]
    assert row.status == "done", row.error
    data = s3_ctx.store.open(row.storage_key).read()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256)


def test_a_logo_missing_from_storage_is_a_clear_error(ctx, barcode: Path) -> None:
    clip_id = add_clip(ctx, barcode)
    with ctx.sessions() as session:
        Branding.current(session).logo_key = "branding/logo.png"  # saved once, since deleted from storage
        session.commit()
    render_clip(clip_id)
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "failed" and "logo file is missing" in row.error
