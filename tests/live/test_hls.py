"""Reading HLS playlists as live broadcasters publish them."""

from __future__ import annotations

import pytest

from clipper.live import hls

MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360
low/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720
https://cdn.example.org/high/index.m3u8
"""

MEDIA = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:120
#EXTINF:4.000,
seg120.ts
#EXTINF:3.960,
seg121.ts
#EXT-X-DISCONTINUITY
#EXTINF:4.040,
/abs/seg122.ts
"""


def test_a_master_playlist_gives_its_variants_best_first() -> None:
    variants = hls.parse(MASTER, "https://tv.example.org/live/master.m3u8")
    assert variants == (hls.Variant("https://cdn.example.org/high/index.m3u8", 2_500_000),
                        hls.Variant("https://tv.example.org/live/low/index.m3u8", 800_000))


def test_a_media_playlist_numbers_its_pieces_and_resolves_their_links() -> None:
    media = hls.parse(MEDIA, "https://tv.example.org/live/index.m3u8")
    assert isinstance(media, hls.MediaPlaylist)
    assert media.target_duration == 4 and not media.ended
    assert [(p.sequence, p.duration, p.url, p.discontinuity) for p in media.pieces] == [
        (120, 4.0, "https://tv.example.org/live/seg120.ts", False),
        (121, 3.96, "https://tv.example.org/live/seg121.ts", False),
        (122, 4.04, "https://tv.example.org/abs/seg122.ts", True),
    ]
    assert hls.parse(MEDIA + "#EXT-X-ENDLIST\n", "https://tv.example.org/").ended


@pytest.mark.parametrize("text", ["", "<html>not a playlist</html>", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"])
def test_what_is_not_a_playlist_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(hls.NotAPlaylist) as refused:
        hls.parse(text, "https://tv.example.org/")
    assert "playlist" in refused.value.message


@pytest.mark.parametrize(("line", "says"), [
    ('#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.org/k"', "encrypted"),
    ('#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"', "byte ranges"),
    ("#EXT-X-BYTERANGE:1000@0", "byte ranges"),
])
def test_streams_clipper_cannot_record_are_refused_with_the_reason(line: str, says: str) -> None:
    with pytest.raises(hls.NotAPlaylist) as refused:
        hls.parse(MEDIA.replace("#EXT-X-MEDIA-SEQUENCE:120\n", f"#EXT-X-MEDIA-SEQUENCE:120\n{line}\n"),
                  "https://cdn.example.org/live/index.m3u8")
    assert says in refused.value.message


def test_fragmented_mp4_pieces_carry_their_initialisation_section() -> None:
    text = MEDIA.replace("#EXT-X-MEDIA-SEQUENCE:120\n", '#EXT-X-MEDIA-SEQUENCE:120\n#EXT-X-MAP:URI="init.mp4"\n')
    parsed = hls.parse(text, "https://cdn.example.org/live/index.m3u8")
    assert isinstance(parsed, hls.MediaPlaylist)
    assert {p.init_url for p in parsed.pieces} == {"https://cdn.example.org/live/init.mp4"}
    assert hls.parse(MEDIA.replace("#EXT-X-MEDIA-SEQUENCE:120\n", "#EXT-X-MEDIA-SEQUENCE:120\n#EXT-X-KEY:METHOD=NONE\n"),
                     "https://cdn.example.org/live/index.m3u8")
