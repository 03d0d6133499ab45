"""Turning a live HLS stream into fixed-length segments, as it airs.

The recorder polls the media playlist, fetches each new piece once (every URL it is given is fetched
through the caller's guarded ``fetch``, so the address rules apply to every playlist and piece host),
and joins pieces into segments of about ``segment_seconds``. MPEG-TS pieces join by concatenation;
fragmented-MP4 pieces follow their initialisation section (``EXT-X-MAP``), so each segment plays alone.
Pieces the recorder never saw (the stream dropped, the recorder was down) become a gap before the
next segment: recorded, never silently closed up, so offsets stay true to the air time.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clipper import ffmpeg
from clipper.errors import ClipperError
from clipper.live import dash, hls


class StreamStalled(ClipperError):
    """No new piece for several segment lengths: the recorder is restarted (and gives up after a while)."""

    status = 502


class DiskFull(ClipperError):
    """Too little free space left to keep recording: what was recorded is kept, and the recorder stops."""

    status = 507


@dataclass(frozen=True)
class RecorderOptions:
    segment_seconds: float = 30.0
    stall_seconds: float = 90.0  # no new piece for this long: the stream is stalled
    max_piece_bytes: int = 64 * 1024**2
    min_free_bytes: int = 1024**3  # stop before the disk holding the work folder is this full


@dataclass(frozen=True)
class SegmentFile:
    index: int
    path: Path
    start: float  # seconds into the live recording (gaps included)
    duration: float
    gap_before: float  # seconds of air the recorder missed just before this segment
    aired_at: datetime  # wall-clock time of the segment's first frame (estimated from when it arrived)


@dataclass
class _State:
    index: int
    offset: float
    next_sequence: int | None = None
    gap: float = 0.0
    pieces: list[tuple[hls.Piece, Path]] = field(default_factory=list)
    first_arrival: float | None = None
    inits: dict[str, bytes] = field(default_factory=dict)  # fragmented MP4: initialisation sections by URL


class Recorder:
    def __init__(self, url: str, work: Path, fetch: Callable[[str], bytes], on_segment: Callable[[SegmentFile], None],
                 options: RecorderOptions = RecorderOptions(), *, start_index: int = 0, start_offset: float = 0.0,
                 gap_before: float = 0.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free) -> None:
        self.url, self.work, self.fetch, self.on_segment, self.options = url, work, fetch, on_segment, options
        self.clock, self.sleep, self.free_bytes = clock, sleep, free_bytes
        self.state = _State(start_index, start_offset, gap=gap_before)
        self.media_url: str | None = None
        work.mkdir(parents=True, exist_ok=True)

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> str:
        """Record until the stream ends ("ended") or ``should_stop()`` ("stopped"); raises when it stalls."""
        last_new = self.clock()
        while not should_stop():
            playlist = self._playlist()
            if self._take(playlist.pieces):
                last_new = self.clock()
            if playlist.ended:
                self._flush()
                return "ended"
            if self.clock() - last_new > self.options.stall_seconds:
                self._flush()
                raise StreamStalled(f"The stream sent nothing new for {self.options.stall_seconds:.0f} s.")
            self.sleep(max(0.5, min(playlist.target_duration / 2, 5.0)))
        self._flush()
        return "stopped"

    def _playlist(self) -> hls.MediaPlaylist:
        url = self.media_url or self.url
        text = self.fetch(url).decode("utf-8", "replace")
        if dash.is_mpd(text):
            return dash.parse(text, url)
        parsed = hls.parse(text, url)
        if isinstance(parsed, tuple):  # a master playlist: record its best variant
            self.media_url = parsed[0].url
            media = hls.parse(self.fetch(self.media_url).decode("utf-8", "replace"), self.media_url)
            if isinstance(media, tuple):
                raise hls.NotAPlaylist("The stream's variant is itself a list of streams.")
            return media
        return parsed

    def _take(self, pieces: tuple[hls.Piece, ...]) -> bool:
        s = self.state
        new = [p for p in pieces if s.next_sequence is None or p.sequence >= s.next_sequence]
        if s.next_sequence is None and new:
            new = new[-3:]  # joining a stream already on air: start near its live edge, as players do
        if new and s.next_sequence is not None and new[0].sequence > s.next_sequence:
            missed = new[0].sequence - s.next_sequence  # they left the playlist before we saw them
            self._flush()  # the segment being built ends where the stream broke off: each one is continuous
            s.gap += missed * (sum(p.duration for p in pieces) / len(pieces))
        for piece in new:
            data = self.fetch(piece.url)
            if len(data) > self.options.max_piece_bytes:
                raise StreamStalled("A piece of the stream is larger than any broadcast segment; stopping.")
            free = self.free_bytes(self.work)
            if free - len(data) < self.options.min_free_bytes:
                self._flush()  # what is recorded so far is kept
                raise DiskFull(f"The disk holding Clipper's data has only {free // 1024**2} MB free, so recording "
                               "stopped before it filled up. Free some space (or raise the disk's size), then "
                               "start the source again.")
            for init in (piece.init_url, piece.audio_init_url):
                if init and init not in s.inits:
                    s.inits[init] = self.fetch(init)
            if s.pieces and (piece.init_url, piece.audio_init_url) != (s.pieces[-1][0].init_url,
                                                                        s.pieces[-1][0].audio_init_url):
                self._flush()  # a new initialisation section (the encoder restarted): a new segment
            path = self.work / f"piece-{piece.sequence}.{'m4s' if piece.init_url else 'ts'}"
            path.write_bytes(data)
            if piece.audio_url:
                path.with_suffix(".audio").write_bytes(self.fetch(piece.audio_url))
            if s.first_arrival is None:
                s.first_arrival = self.clock() - piece.duration
            s.pieces.append((piece, path))
            s.next_sequence = piece.sequence + 1
            if sum(p.duration for p, _ in s.pieces) >= self.options.segment_seconds - 0.01:
                self._flush()
        return bool(new)

    def _flush(self) -> None:
        s = self.state
        if not s.pieces:
            return
        duration = sum(p.duration for p, _ in s.pieces)
        first = s.pieces[0][0]
        if first.audio_url:  # DASH: picture and sound apart, joined into one MPEG-TS segment
            path = self._mux(first)
        else:
            path = self.work / f"segment-{s.index:06d}.{'mp4' if first.init_url else 'ts'}"
            self._write(path, first.init_url, [p for _, p in s.pieces])
        for _, piece_path in s.pieces:
            piece_path.unlink(missing_ok=True)
            piece_path.with_suffix(".audio").unlink(missing_ok=True)
        aired = datetime.fromtimestamp(s.first_arrival or self.clock(), UTC)
        segment = SegmentFile(s.index, path, round(s.offset + s.gap, 3), round(duration, 3), round(s.gap, 3), aired)
        s.offset, s.gap = s.offset + s.gap + duration, 0.0
        s.index, s.pieces, s.first_arrival = s.index + 1, [], None
        self.on_segment(segment)

    def _write(self, path: Path, init: str, pieces: list[Path]) -> None:
        """Pieces joined: fragmented MP4 after its initialisation section (a playable file), MPEG-TS as is."""
        with path.open("wb") as out:
            if init:
                out.write(self.state.inits[init])
            for piece_path in pieces:
                out.write(piece_path.read_bytes())

    def _mux(self, first: hls.Piece) -> Path:
        s = self.state
        video, audio = self.work / "segment-video.mp4", self.work / "segment-audio.mp4"
        self._write(video, first.init_url, [p for _, p in s.pieces])
        self._write(audio, first.audio_init_url, [p.with_suffix(".audio") for _, p in s.pieces])
        path = self.work / f"segment-{s.index:06d}.ts"
        try:
            # -copyts: the stream's own timestamps, so segments follow on from each other when joined
            ffmpeg.run([*ffmpeg.HARDENED_INPUT, "-i", str(video), *ffmpeg.HARDENED_INPUT, "-i", str(audio),
                        "-map", "0:v:0", "-map", "1:a:0",
                        "-c", "copy", "-copyts", "-f", "mpegts", "-y", str(path)], timeout=120)
        finally:
            video.unlink(missing_ok=True)
            audio.unlink(missing_ok=True)
        return path
