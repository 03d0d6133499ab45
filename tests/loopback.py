"""A real HTTP server on 127.0.0.1 (a thread) serving test media for URL ingest.

Serves ``video.mp4`` (ffmpeg test pattern with sound), an HLS stream ``hls/index.m3u8`` (the same
video cut into 1-second MPEG-TS segments by ffmpeg's HLS muxer; ``hls/live.m3u8`` the same without
its end, i.e. live), a DASH stream ``dash/manifest.mpd``
(picture and sound as separate fragmented-MP4 streams, as big sites serve them), a page with two videos (a
"playlist"), and redirects: ``/redirect-to-loopback`` (to 127.0.0.1) and ``/redirect-to-metadata``
(to 169.254.169.254), a 2 MB page without a video, and gzip-encoded pages (one with a video, one a
5 MB "zip bomb"). ``requests`` lists every path asked for, so a test can tell nothing was fetched.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.media import test_video


def make_media(root: Path, *, seconds: float = 4) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    test_video(root / "video.mp4", seconds=seconds)
    (root / "hls").mkdir(exist_ok=True)
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-i", str(root / "video.mp4"), "-c:v", "libx264", "-preset", "ultrafast",
        "-g", "25", "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
        str(root / "hls" / "index.m3u8"),
    ], check=True)
    playlist = (root / "hls" / "index.m3u8").read_text()  # a live stream: no end in sight
    (root / "hls" / "live.m3u8").write_text("".join(line for line in playlist.splitlines(keepends=True)
                                                   if "ENDLIST" not in line))
    (root / "dash").mkdir(exist_ok=True)
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-i", str(root / "video.mp4"), "-map", "0:v", "-map", "0:a", "-c:v", "libx264",
        "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "dash", "-seg_duration", "1",
        str(root / "dash" / "manifest.mpd"),
    ], check=True)
    (root / "page.html").write_text(
        '<html><body><video src="/video.mp4"></video><video src="/hls/index.m3u8"></video></body></html>')
    return root


@dataclass
class Server:
    root: Path
    port: int = 0
    requests: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_info: Server

    def do_GET(self) -> None:
        self.server_info.requests.append(self.path)
        targets = {"/redirect-to-loopback": f"http://127.0.0.1:{self.server_info.port}/video.mp4",
                   "/redirect-to-metadata": "http://169.254.169.254/latest/meta-data/",
                   "/redirect-to-file": "file:///etc/passwd"}
        if self.path.startswith("/redirect-to-port/"):  # /redirect-to-port/<port>/<path>: same host, other port
            port, _, rest = self.path.removeprefix("/redirect-to-port/").partition("/")
            targets[self.path] = f"http://127.0.0.1:{port}/{rest}"
        if self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        one_video = b'<html><body><video src="/video.mp4"></video></body></html>'
        pages = {"/big-page": (b"<html><body>" + b"<p>news</p>" * 200_000, ""),  # 2.2 MB of page, no video
                 "/gzip-bomb": (gzip.compress(b" " * 5_000_000), "gzip"),  # 5 MB from a few KB
                 "/gzip-page": (gzip.compress(one_video), "gzip")}
        if self.path in pages:
            body, encoding = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


@contextmanager
def serve(root: Path) -> Iterator[Server]:
    info = Server(root)
    handler = type("Handler", (_Handler,), {"server_info": info})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    httpd.daemon_threads = True
    httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]  # aborted downloads
    info.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield info
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
