"""Reading a live DASH manifest (ISO/IEC 23009-1 MPD) into the recorder's pieces, as ``hls.parse`` does.

Only the form live packagers (ffmpeg's dash muxer, Shaka, most broadcasters) write for live: a
``SegmentTemplate`` with a ``SegmentTimeline`` (``$Number$`` or ``$Time$`` in the media template), on
the adaptation set or the representation, with ``BaseURL`` at any level. The best video representation
and the best audio one are followed together: each piece is the video fragment and the audio fragment
of the same number (their initialisation sections named once), which the recorder muxes. A manifest
whose segments are found only from the clock (``duration`` without a timeline) is refused with the
reason. Every URL comes back absolute; the recorder fetches each through its guard.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

from clipper.live.hls import MediaPlaylist, NotAPlaylist, Piece

_VAR = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth)(%0(\d+)d)?\$|\$\$")


def is_mpd(text: str) -> bool:
    head = text.lstrip()[:512]
    return head.startswith("<") and "<MPD" in head


@dataclass(frozen=True)
class _Track:
    init_url: str
    pieces: dict[int, tuple[str, float]]  # sequence -> (media URL, seconds)


def parse(text: str, base_url: str) -> MediaPlaylist:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # a manifest has no use for them; entities can explode
        raise NotAPlaylist("The DASH manifest declares a DOCTYPE or entities, which no live manifest needs; "
                           "Clipper does not read it.")
    try:
        mpd = ET.fromstring(text)
    except ET.ParseError:
        raise NotAPlaylist("The live link answered with XML that is not a DASH manifest. Check the stream's link.") \
            from None
    if not mpd.tag.endswith("MPD"):
        raise NotAPlaylist("The live link did not answer with a DASH manifest (MPD). Check the stream's link.")
    base = _base(mpd, base_url)
    periods = mpd.findall("{*}Period")
    if not periods:
        raise NotAPlaylist("The DASH manifest has no period to record.")
    period = periods[-1]  # the one on air now
    base = _base(period, base)
    video, audio = _best(period, "video"), _best(period, "audio")
    if video is None and audio is None:
        raise NotAPlaylist("The DASH manifest has no video or audio representation Clipper can record.")
    chosen = video or audio
    assert chosen is not None
    main = _track(chosen[0], chosen[1], base)
    other = _track(audio[0], audio[1], base) if video is not None and audio is not None else None
    pieces = []
    for sequence, (url, seconds) in sorted(main.pieces.items()):
        if other is not None:
            if sequence not in other.pieces:
                continue  # its sound is not listed yet: taken on the next look
            pieces.append(Piece(sequence, seconds, url, init_url=main.init_url,
                                audio_url=other.pieces[sequence][0], audio_init_url=other.init_url))
        else:
            pieces.append(Piece(sequence, seconds, url, init_url=main.init_url))
    longest = max((p.duration for p in pieces), default=2.0)
    return MediaPlaylist(target_duration=longest, pieces=tuple(pieces), ended=mpd.get("type", "static") != "dynamic")


def _best(period: ET.Element, kind: str) -> tuple[ET.Element, ET.Element] | None:
    """The highest-bandwidth representation of ``kind`` (video/audio), with its adaptation set."""
    found = []
    for aset in period.findall("{*}AdaptationSet"):
        if aset.find("{*}ContentProtection") is not None or aset.find("{*}Representation/{*}ContentProtection") \
                is not None:
            raise NotAPlaylist("The stream is encrypted (DRM), so Clipper cannot record it. Use an unencrypted "
                               "stream of the programme.")
        for rep in aset.findall("{*}Representation"):
            mime = rep.get("mimeType") or aset.get("mimeType") or ""
            content = aset.get("contentType") or mime.split("/", 1)[0]
            if content == kind:
                found.append((int(rep.get("bandwidth") or 0), aset, rep))
    if not found:
        return None
    _, aset, rep = max(found, key=lambda f: f[0])
    return aset, rep


def _track(aset: ET.Element, rep: ET.Element, base: str) -> _Track:
    base = _base(rep, _base(aset, base))
    template = rep.find("{*}SegmentTemplate")
    outer = aset.find("{*}SegmentTemplate")
    if template is None and outer is None:
        raise NotAPlaylist("The DASH manifest does not name its segments with a template; Clipper cannot record it.")

    def attr(name: str, default: str = "") -> str:
        for t in (template, outer):
            if t is not None and t.get(name) is not None:
                return str(t.get(name))
        return default

    timeline = next((t.find("{*}SegmentTimeline") for t in (template, outer)
                     if t is not None and t.find("{*}SegmentTimeline") is not None), None)
    if timeline is None:
        raise NotAPlaylist("This DASH stream lists no segments (no SegmentTimeline: they are found from the clock), "
                           "which Clipper cannot record yet. Give the stream's HLS link if it has one.")
    scale = float(attr("timescale", "1")) or 1.0
    number = int(attr("startNumber", "1"))
    media, by_time = attr("media"), "$Time" in attr("media")
    values = {"RepresentationID": rep.get("id", ""), "Bandwidth": rep.get("bandwidth", "")}
    entries = _timeline(timeline)
    typical = sorted(d for _, d in entries)[len(entries) // 2] if entries else 1
    pieces: dict[int, tuple[str, float]] = {}
    for t, d in entries:
        url = urljoin(base, _fill(media, {**values, "Number": str(number), "Time": str(t)}))
        sequence = round(t / typical) if by_time else number  # numbers shift when a window drops $Time$ entries
        pieces[sequence] = (url, d / scale)
        number += 1
    init = attr("initialization")
    return _Track(urljoin(base, _fill(init, values)) if init else "", pieces)


def _timeline(timeline: ET.Element) -> list[tuple[int, int]]:
    """(start, duration) of every segment, in timescale units."""
    out: list[tuple[int, int]] = []
    entries = timeline.findall("{*}S")
    t = 0
    for i, s in enumerate(entries):
        t = int(s.get("t", t))
        d = int(s.get("d", "0"))
        if d <= 0:
            raise NotAPlaylist("The DASH manifest lists a segment with no length.")
        repeat = int(s.get("r", "0"))
        if repeat < 0:  # until the next entry's start (or just this one at the live edge)
            nxt = entries[i + 1].get("t") if i + 1 < len(entries) else None
            repeat = max(0, (int(nxt) - t) // d - 1) if nxt is not None else 0
        for _ in range(repeat + 1):
            out.append((t, d))
            t += d
    return out


def _fill(template: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        value = values.get(m.group(1), "")
        return value.zfill(int(m.group(3))) if m.group(3) else value

    return _VAR.sub(one, template)


def _base(element: ET.Element, base: str) -> str:
    found = element.find("{*}BaseURL")
    return urljoin(base, found.text.strip()) if found is not None and found.text else base
