"""URL ingest end to end: the API checks the link, the ingest job downloads it with yt-dlp from a real
loopback server, probes it and keeps it; bad links get a clear message and leave nothing that looks ready."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clipper.models import Recording
from clipper.settings import Settings
from tests.conftest import run_jobs
from tests.loopback import Server, make_media, serve

ALLOWED = ("127.0.0.1:*", "localhost:*")  # loopback servers on random ports


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(make_media(tmp_path_factory.mktemp("site"))) as srv:
        yield srv


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Settings:
    """The usual test settings, with loopback allowed unless a test passes its own overrides."""
    overrides: dict[str, Any] = {"url_allowed_hosts": ALLOWED, **getattr(request, "param", {})}
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", **overrides)


def add_link(client, auth, url: str, **fields: str) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/api/v1/recordings", headers=auth, json={"url": url, **fields})


def recording(client, auth, rid: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/recordings/{rid}", headers=auth).json


def leftovers(settings: Settings) -> list[Path]:
    work = settings.data_dir / "work"
    return [p for p in work.rglob("*") if p.is_file()] if work.exists() else []


@pytest.mark.slow
def test_mp4_hls_and_dash_links_are_downloaded_probed_and_kept(client, auth, redis_url, ctx, site, settings) -> None:
    mp4 = add_link(client, auth, site.url("video.mp4"), channel="BBC One")
    assert mp4.status_code == 202, mp4.json
    assert mp4.json["source"] == "url" and mp4.json["status"] == "queued"
    hls = add_link(client, auth, site.url("hls/index.m3u8"), title="Leaders' debate")
    assert hls.status_code == 202, hls.json
    dash = add_link(client, auth, site.url("dash/manifest.mpd"))
    run_jobs(redis_url, ("ingest",))

    rec = recording(client, auth, mp4.json["id"])
    assert rec["status"] == "transcribing" and rec["error"] is None, rec
    assert rec["title"] == "video"  # no title given: the site's own title
    assert rec["source_url"] == site.url("video.mp4") and rec["channel"] == "BBC One"
    assert 3.5 < rec["duration"] < 4.5 and rec["probe"]["has_video"] and rec["probe"]["has_audio"]
    original = [k for k in ctx.store.keys(f"recordings/{mp4.json['id']}/") if "/original." in k]
    assert original == [f"recordings/{mp4.json['id']}/original.mp4"]
    kept = settings.data_dir / "kept.mp4"
    ctx.store.get_file(original[0], kept)
    assert kept.read_bytes() == (site.root / "video.mp4").read_bytes()

    job = client.get(f"/api/v1/jobs/{rec['jobs']['ingest']}", headers=auth).json
    assert job["status"] == "finished" and 0 < job["progress"] <= 0.9  # download progress was reported

    rec = recording(client, auth, hls.json["id"])
    assert rec["status"] == "transcribing" and rec["title"] == "Leaders' debate", rec
    assert rec["probe"]["format"] == "mpegts" and 3.5 < rec["duration"] < 4.5
    assert ctx.store.exists(f"recordings/{hls.json['id']}/original.ts")

    rec = recording(client, auth, dash.json["id"])  # picture and sound apart, joined by our ffmpeg
    assert rec["status"] == "transcribing" and rec["probe"]["has_video"] and rec["probe"]["has_audio"], rec
    assert ctx.store.exists(f"recordings/{dash.json['id']}/original.mkv")
    assert leftovers(settings) == []


@pytest.mark.parametrize("settings", [{"url_allowed_hosts": ()}], indirect=True)
@pytest.mark.parametrize(("url", "message"), [
    ("file:///etc/passwd", "only fetches web links"),
    ("ftp://example.org/v.mp4", "only fetches web links"),
    ("data:video/mp4;base64,AAAA", "only fetches web links"),
    ("http://127.0.0.1:6379/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("--exec=touch /tmp/pwned", "starts with '-'"),
    ("https://example.org/watch?v=1 --exec touch", "without spaces or options"),
    ("https://example.org/watch?v=1\t-o/etc/x", "without spaces or options"),
    ("", "Send the video's link"),
])
def test_bad_links_get_400_with_the_reason_and_no_recording(client, auth, redis_url, url, message) -> None:
    resp = add_link(client, auth, url)
    assert resp.status_code == 400 and message in resp.json["error"], resp.json
    assert client.get("/api/v1/recordings", headers=auth).json["recordings"] == []


@pytest.mark.parametrize("settings", [{"url_allowed_hosts": ()}], indirect=True)
def test_the_test_server_itself_is_refused_without_the_allowance(client, auth, site) -> None:
    before = len(site.requests)
    for path in ("video.mp4", "hls/index.m3u8"):
        resp = add_link(client, auth, site.url(path))
        assert resp.status_code == 400 and "loopback" in resp.json["error"]
    resp = client.post("/api/v1/recordings", headers=auth, data={"url": site.url("video.mp4")})  # a form too
    assert resp.status_code == 400 and "loopback" in resp.json["error"]
    assert len(site.requests) == before
    assert client.get("/api/v1/recordings", headers=auth).json["recordings"] == []


@pytest.mark.parametrize("settings", [{"url_allowed_hosts": ("localhost:*",)}], indirect=True)
@pytest.mark.parametrize(("path", "message"), [
    ("redirect-to-loopback", "loopback"),
    ("redirect-to-metadata", "cloud metadata"),
    ("page.html", "playlist"),
    ("missing.mp4", "removed, made private, or the link is wrong"),
])
def test_links_that_fail_while_downloading_end_failed_with_the_reason(
        client, auth, redis_url, ctx, site, settings, path, message) -> None:
    resp = add_link(client, auth, site.url(path, host="localhost"))
    assert resp.status_code == 202, resp.json  # the first hop is an allowed host
    run_jobs(redis_url, ("ingest",))
    rec = recording(client, auth, resp.json["id"])
    assert rec["status"] == "failed" and message in rec["error"], rec
    assert ctx.store.keys(f"recordings/{resp.json['id']}/") == []
    assert leftovers(settings) == []


@pytest.mark.parametrize("settings", [{"max_upload_bytes": 100_000}], indirect=True)
@pytest.mark.parametrize("path", ["video.mp4", "hls/index.m3u8"])
def test_over_the_size_cap_aborts_with_too_big_and_no_partial_files(
        client, auth, redis_url, ctx, site, settings, path) -> None:
    resp = add_link(client, auth, site.url(path))
    run_jobs(redis_url, ("ingest",))
    rec = recording(client, auth, resp.json["id"])
    assert rec["status"] == "failed" and "too big" in rec["error"], rec
    assert ctx.store.keys(f"recordings/{resp.json['id']}/") == []
    assert leftovers(settings) == []


@pytest.mark.parametrize("settings", [{"max_duration_seconds": 2.0}], indirect=True)
def test_over_the_duration_cap_is_refused(client, auth, redis_url, ctx, site) -> None:
    ids = [add_link(client, auth, site.url(p)).json["id"] for p in ("video.mp4", "hls/index.m3u8")]
    run_jobs(redis_url, ("ingest",))
    for rid in ids:
        rec = recording(client, auth, rid)
        assert rec["status"] == "failed" and "long; the limit is 0:00:02" in rec["error"], rec
        assert ctx.store.keys(f"recordings/{rid}/") == []


def test_cli_ingests_a_link_and_refuses_options(redis_url, ctx, site, settings) -> None:
    from web.cli import main

    env = {"CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_REDIS_URL": redis_url, "CLIPPER_SECRET_KEY": "test-secret",
           "CLIPPER_URL_ALLOWED_HOSTS": ",".join(ALLOWED)}
    runner = CliRunner()
    refused = runner.invoke(main, ["ingest", "--", "--exec=touch /tmp/x"], env=env)
    assert refused.exit_code == 1 and "starts with '-'" in refused.output
    refused = runner.invoke(main, ["ingest", "http://169.254.169.254/"], env=env)
    assert refused.exit_code == 1 and "cloud metadata" in refused.output
    added = runner.invoke(main, ["ingest", site.url("video.mp4"), "--title", "From the CLI"], env=env)
    assert added.exit_code == 0, added.output
    run_jobs(redis_url, ("ingest",))
    with ctx.sessions() as session:
        (rec,) = session.query(Recording).all()
        assert (rec.source, rec.title, rec.status) == ("url", "From the CLI", "transcribing")


def test_an_allowance_covers_one_port_and_not_a_redirect_to_another(redis_url, site, tmp_path, sqlite_url) -> None:
    """A newsroom allows its capture server on one port; a link (or a redirect) to another port of the
    same host - its Redis, its admin panel, here another web server - is refused with the reason."""
    from tests.conftest import make_user
    from web import create_app
    from workers import context

    (tmp_path / "capture").mkdir()
    with serve(tmp_path / "capture") as capture:
        settings = Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                                     public_base_url="http://localhost",
                                     url_allowed_hosts=(f"127.0.0.1:{capture.port}",))
        ctx = context.configure(settings, redis_url)
        client = create_app(settings, redis_url).test_client()
        auth = {"Authorization": f"Bearer {make_user(ctx)[1]}"}
        before = len(site.requests)

        direct = add_link(client, auth, site.url("video.mp4"))
        assert direct.status_code == 400
        assert f"127.0.0.1 on port {site.port}, which is not among the allowed ports" in direct.json["error"]

        redirected = add_link(client, auth, capture.url(f"redirect-to-port/{site.port}/video.mp4"))
        assert redirected.status_code == 202, redirected.json  # the allowed port itself is fine
        run_jobs(redis_url, ("ingest",))
        rec = recording(client, auth, redirected.json["id"])
        assert rec["status"] == "failed" and f"on port {site.port}" in rec["error"], rec
        assert capture.requests == [f"/redirect-to-port/{site.port}/video.mp4"]
        assert site.requests[before:] == []  # the other port was never fetched
