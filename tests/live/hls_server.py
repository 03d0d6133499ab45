"""A live HLS stream on loopback: ffmpeg paces a generated broadcast in real time (``-re``) and writes
a live playlist (MPEG-TS pieces, or fragmented MP4 with ``fmp4=True``; a live DASH manifest with
``dash=True``) that a plain HTTP server serves. ``pause()`` answers 404 for a while (a stream that
drops and returns)."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import time
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, outage: list[float], **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.outage = outage
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802
        if time.monotonic() < self.outage[0]:
            self.send_error(404, "stream down")
            return
        super().do_GET()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


class LiveHLS:
    def __init__(self, folder: Path, audio: Path, *, piece_seconds: float = 2.0, fmp4: bool = False,
                 dash: bool = False) -> None:
        self.folder, self.audio, self.piece_seconds, self.fmp4, self.dash = folder, audio, piece_seconds, fmp4, dash
        folder.mkdir(parents=True, exist_ok=True)
        self.outage = [0.0]
        handler = functools.partial(_Handler, directory=str(folder), outage=self.outage)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.ffmpeg: subprocess.Popen | None = None  # type: ignore[type-arg]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def manifest(self) -> str:
        return "live.mpd" if self.dash else "live.m3u8"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.manifest}"

    def start(self) -> LiveHLS:
        self.thread.start()
        self.ffmpeg = subprocess.Popen([
            "ffmpeg", "-v", "error", "-y", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-re", "-i", str(self.audio), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
            "-c:a", "aac", "-b:a", "64k", *self._muxer(), str(self.folder / self.manifest)])
        deadline = time.monotonic() + 30
        while not (self.folder / self.manifest).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return self

    def _muxer(self) -> list[str]:
        if self.dash:  # a dynamic MPD: a SegmentTimeline of $Number$ segments, picture and sound apart
            return ["-f", "dash", "-seg_duration", str(self.piece_seconds), "-window_size", "6",
                    "-extra_window_size", "6", "-use_template", "1", "-use_timeline", "1", "-streaming", "0"]
        return ["-f", "hls", "-hls_time", str(self.piece_seconds), "-hls_list_size", "6", "-hls_flags", "delete_segments",
                *(["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"] if self.fmp4 else [])]

    def pause(self, seconds: float) -> None:
        self.outage[0] = time.monotonic() + seconds

    def wait(self, timeout: float) -> None:
        assert self.ffmpeg is not None
        self.ffmpeg.wait(timeout)

    def stop(self) -> None:
        if self.ffmpeg is not None and self.ffmpeg.poll() is None:
            self.ffmpeg.terminate()
            self.ffmpeg.wait(10)
        self.server.shutdown()
        self.server.server_close()
