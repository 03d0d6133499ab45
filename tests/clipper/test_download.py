"""yt-dlp for real against a loopback HTTP server: what is fetched, what is refused, what is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.download import DownloadFailed, DownloadOptions, download, explain
from clipper.netguard import FetchRefused
from clipper.probe import probe
from clipper.urls import UrlRefused
from tests.loopback import Server, make_media, serve

ALLOW = ("127.0.0.1:*",)  # the loopback site runs on a random port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(make_media(tmp_path_factory.mktemp("site"))) as srv:
        yield srv


def options(**kw: object) -> DownloadOptions:
    values: dict[str, object] = {"max_bytes": 50 * 1024**2, "max_duration": 3600.0, "allowed_hosts": ALLOW,
                                 "retries": 0}
    values.update(kw)
    return DownloadOptions(**values)  # type: ignore[arg-type]


def test_mp4_is_downloaded_byte_for_byte_with_progress(server: Server, tmp_path: Path) -> None:
    seen: list[float] = []
    got = download(server.url("video.mp4"), tmp_path / "dl", options(), progress=seen.append)
    assert got.path.read_bytes() == (server.root / "video.mp4").read_bytes()
    assert got.title == "video" and got.size == got.path.stat().st_size
    assert seen and all(0 <= f <= 1 for f in seen)


def test_hls_stream_is_fetched_natively_with_its_duration(server: Server, tmp_path: Path) -> None:
    got = download(server.url("hls/index.m3u8"), tmp_path / "dl", options())
    assert got.path.read_bytes()[0] == 0x47  # MPEG-TS sync byte: the segments joined, not remuxed
    assert 3.5 < got.duration < 4.5
    assert any(p.endswith(".ts") for p in server.requests)


def test_dash_picture_and_sound_are_fetched_apart_and_joined(server: Server, tmp_path: Path) -> None:
    seen: list[float] = []
    got = download(server.url("dash/manifest.mpd"), tmp_path / "dl", options(), progress=seen.append)
    info = probe(got.path)
    assert info.demuxer == "matroska" and info.has_video and info.has_audio and 3.5 < info.duration < 4.5
    assert [p.name for p in (tmp_path / "dl").iterdir()] == ["download.mkv"]  # the parts are gone
    assert seen == sorted(seen)


def test_without_the_allowance_nothing_is_fetched(server: Server, tmp_path: Path) -> None:
    before = len(server.requests)
    for path in ("video.mp4", "hls/index.m3u8"):
        with pytest.raises(UrlRefused, match="loopback"):
            download(server.url(path), tmp_path / "dl", options(allowed_hosts=()))
    assert len(server.requests) == before


@pytest.mark.parametrize(("path", "message"), [
    ("redirect-to-loopback", "loopback address\\): 127.0.0.1"),
    ("redirect-to-metadata", "cloud metadata service: 169.254.169.254"),
    ("redirect-to-file", "not 'file:' links"),
])
def test_redirects_are_checked_before_connecting(server: Server, tmp_path: Path, path: str, message: str) -> None:
    # Only the name "localhost" is allowed, so the first hop connects and the redirect target does not.
    before = len(server.requests)
    with pytest.raises(UrlRefused, match=message):
        download(server.url(path, host="localhost"), tmp_path / "dl", options(allowed_hosts=("localhost:*",)))
    assert server.requests[before:] == [f"/{path}"]
    assert not list((tmp_path / "dl").iterdir())


def test_a_redirect_to_another_port_of_an_allowed_host_is_refused(server: Server, tmp_path: Path) -> None:
    """Only the capture server's own port is allowed; its redirect to another port of 127.0.0.1 is not followed."""
    (tmp_path / "capture").mkdir()
    with serve(tmp_path / "capture") as capture:
        before = len(server.requests)
        link = capture.url(f"redirect-to-port/{server.port}/video.mp4")
        with pytest.raises(UrlRefused, match=f"127.0.0.1 on port {server.port}, which is not among the allowed"):
            download(link, tmp_path / "dl", options(allowed_hosts=(f"127.0.0.1:{capture.port}",)))
        assert capture.requests == [f"/redirect-to-port/{server.port}/video.mp4"]  # the allowed hop was made
        assert server.requests[before:] == []  # the other port was never connected to
        assert not list((tmp_path / "dl").iterdir())


def test_a_live_stream_is_refused_before_any_segment(server: Server, tmp_path: Path) -> None:
    before = len(server.requests)
    with pytest.raises(DownloadFailed, match="live stream"):
        download(server.url("hls/live.m3u8"), tmp_path / "dl", options())
    assert not any(p.endswith(".ts") for p in server.requests[before:])


def test_a_page_with_several_videos_is_refused_as_a_playlist(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match="playlist"):
        download(server.url("page.html"), tmp_path / "dl", options())
    assert not list((tmp_path / "dl").iterdir())


@pytest.mark.parametrize("path", ["video.mp4", "hls/index.m3u8", "dash/manifest.mpd"])
def test_over_the_size_cap_stops_and_leaves_nothing(server: Server, tmp_path: Path, path: str) -> None:
    with pytest.raises(DownloadFailed, match="too big; the limit is 97 KB"):
        download(server.url(path), tmp_path / "dl", options(max_bytes=100_000))
    assert not list((tmp_path / "dl").iterdir())


def test_pages_are_read_with_a_cap_and_compressed_pages_decoded_with_one(server: Server, tmp_path: Path) -> None:
    got = download(server.url("gzip-page"), tmp_path / "dl", options(max_page_bytes=1024**2))
    assert got.path.read_bytes() == (server.root / "video.mp4").read_bytes()
    for path in ("big-page", "gzip-bomb"):
        with pytest.raises(FetchRefused, match="page at that link is over 1 MB"):
            download(server.url(path), tmp_path / "dl", options(max_page_bytes=1024**2))


def test_over_the_duration_cap_is_refused_from_metadata(server: Server, tmp_path: Path) -> None:
    before = len(server.requests)
    with pytest.raises(DownloadFailed, match="0:00:04 long; the limit is 0:00:02"):
        download(server.url("hls/index.m3u8"), tmp_path / "dl", options(max_duration=2.0))
    assert not any(p.endswith(".ts") for p in server.requests[before:])  # no segment was fetched


def test_missing_video_and_dead_server_read_as_a_volunteer_would_say_them(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match="removed, made private, or the link is wrong"):
        download(server.url("gone.mp4"), tmp_path / "dl", options())
    with pytest.raises(DownloadFailed, match="Could not reach the site"):
        download("http://127.0.0.1:9/video.mp4", tmp_path / "dl", options())


@pytest.mark.parametrize(("ytdlp", "says"), [
    ("ERROR: Unsupported URL: https://example.org/", "isn't supported"),
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", "private"),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", "removed"),
    ("ERROR: [youtube] abc: Sign in to confirm your age", "private or needs an account"),
    ("ERROR: [bbc] x: This video is not available in your country", "blocked in the country"),
    ("ERROR: [generic] x: Unable to download webpage: <urlopen error timed out>", "Could not reach the site"),
    ("ERROR: [youtube] abc: This live event will begin in 3 hours", "live stream"),
    ("ERROR: [x] y: This video is DRM protected", "DRM"),
    ("ERROR: [x] y: Requested format is not available", "downloadable video"),
    ("ERROR: something new", "could not be downloaded"),
])
def test_yt_dlp_errors_are_explained(ytdlp: str, says: str) -> None:
    failure = explain(ytdlp)
    assert says in failure.message and failure.expected and failure.detail == ytdlp
