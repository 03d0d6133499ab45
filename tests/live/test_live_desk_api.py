"""What the live desk reads while a recording airs: the words stored since it last asked, and an HLS
playlist of the stored segments whose clock is the recording's (gaps and holes kept), that plays."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_user
from tests.live.desk_setup import add_segment, add_words, finish, live_recording, stream_segments
from tests.s3server import moto_server, s3_bucket, s3_settings  # noqa: F401  (fixtures)

FIRST = "The minister said the new hospital will open next spring."
SECOND = "We will not raise taxes on working people."


@pytest.fixture
def token(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org', 'volunteer')[1]}"}


def _playlist(client, rid: int, token: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(f"/recordings/{rid}/live.m3u8", headers=token)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/vnd.apple.mpegurl"
    return response.get_data(as_text=True).splitlines()


def test_words_after_an_index_are_the_ones_stored_since(client, ctx, token) -> None:  # type: ignore[no-untyped-def]
    rid = live_recording(ctx.sessions)
    add_words(ctx.sessions, rid, FIRST, 1.0, speaker="Speaker 1")
    first = client.get(f"/api/v1/recordings/{rid}/words", headers=token).json
    assert first["status"] == "live" and first["from"] == 0 and " ".join(first["w"]) == FIRST
    n = first["count"]
    assert client.get(f"/api/v1/recordings/{rid}/words?after={n}", headers=token).json["count"] == 0  # nothing new

    add_words(ctx.sessions, rid, SECOND, 8.0, speaker="Speaker 2")
    more = client.get(f"/api/v1/recordings/{rid}/words?after={n}", headers=token).json
    assert more["from"] == n and " ".join(more["w"]) == SECOND
    assert more["seg"] == [n] and more["spk"] == ["Speaker 2"]  # the new sentence starts its own turn
    assert more["s"][0] == 8000 and more["transcribed_until"] == pytest.approx(8.0 + 0.5 * 7 + 0.4 + 0.5)
    whole = client.get(f"/api/v1/recordings/{rid}/words", headers=token).json
    assert whole["w"] == first["w"] + more["w"] and whole["seg"] == [0, n]

    bad = client.get(f"/api/v1/recordings/{rid}/words?after=-1", headers=token)
    assert bad.status_code == 400 and "word index" in bad.json["error"]


def test_the_playlist_keeps_the_recordings_clock_and_its_links_play(client, ctx, token, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    segments = stream_segments(tmp_path / "stream", 3)
    rid = live_recording(ctx.sessions)
    add_segment(ctx.sessions, ctx.store, rid, 0, segments[0], start=0.0, duration=4.0)
    add_segment(ctx.sessions, ctx.store, rid, 1, None, start=4.0, duration=4.0)  # not media: a hole
    add_segment(ctx.sessions, ctx.store, rid, 2, segments[2], start=28.0, duration=4.0, gap_before=20.0)

    lines = _playlist(client, rid, token)
    assert lines[:5] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:20", "#EXT-X-PLAYLIST-TYPE:EVENT",
                         "#EXT-X-MEDIA-SEQUENCE:0"]
    assert "#EXT-X-ENDLIST" not in lines  # still airing: players keep asking for more
    durations = [float(x.split(":")[1].rstrip(",")) for x in lines if x.startswith("#EXTINF:")]
    assert durations == [4.0, 4.0, 20.0, 4.0] and sum(durations) == 32.0  # the player's clock is the recording's
    assert lines.count("#EXT-X-GAP") == 2 and lines.count("#EXT-X-DISCONTINUITY") == 1
    links = [x for x in lines if x and not x.startswith("#") and "/live/" in x]
    assert links == [f"/recordings/{rid}/live/0.ts", f"/recordings/{rid}/live/2.ts"]  # same-origin: no CORS
    for link, path in zip(links, (segments[0], segments[2]), strict=True):
        media = client.get(link, headers=token)
        assert media.status_code == 200 and media.data == path.read_bytes() and media.mimetype == "video/mp2t"
    missing = client.get(f"/recordings/{rid}/live/1.ts", headers=token)  # the hole: nothing stored
    assert missing.status_code == 404 and "not stored" in missing.get_data(as_text=True)

    finish(ctx.sessions, rid)
    assert _playlist(client, rid, token)[-1] == "#EXT-X-ENDLIST"


def test_only_the_team_reads_a_live_recording(client, ctx) -> None:  # type: ignore[no-untyped-def]
    rid = live_recording(ctx.sessions)
    assert client.get(f"/recordings/{rid}/live.m3u8").status_code in (302, 401)
    assert client.get(f"/recordings/{rid}/live/0.ts").status_code in (302, 401)
    assert client.get(f"/api/v1/recordings/{rid}/words?after=0").status_code == 401
    other = make_user(ctx, "lead@example.org", "social_lead")[1]
    assert client.get("/recordings/999/live.m3u8", headers={"Authorization": f"Bearer {other}"}).status_code == 404


def test_segments_in_s3_play_from_this_site(s3_settings, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """With object storage on another host, the player still asks only this site (hls.js fetches segments
    with XHR, which a bucket without CORS rules would refuse)."""
    from web import create_app
    from workers import context

    ctx = context.configure(s3_settings, redis_url)
    client = create_app(s3_settings, redis_url).test_client()
    token = {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org', 'volunteer')[1]}"}
    segments = stream_segments(tmp_path / "stream", 1)
    rid = live_recording(ctx.sessions)
    add_segment(ctx.sessions, ctx.store, rid, 0, segments[0], start=0.0, duration=4.0)
    links = [x for x in _playlist(client, rid, token) if x and not x.startswith("#")]
    assert links == [f"/recordings/{rid}/live/0.ts"]
    media = client.get(links[0], headers=token)
    assert media.status_code == 200 and media.data == segments[0].read_bytes()
