"""The one ffmpeg runner.

Every ffmpeg and ffprobe call in Clipper goes through ``run`` (graphs are built with ffmpeg-python
and compiled to an argv list; nothing here uses a shell). Untrusted inputs are opened with
``hardened_input``: local files only (``-protocol_whitelist file``) and an explicit demuxer allowlist
(``-format_whitelist``), so playlists, concat scripts and other formats that make ffmpeg open
something else are refused. ``run`` checks that every ``-i`` carries those flags unless the caller
says the input is its own (``trusted=True``: test sources, files we wrote ourselves).

Every child runs under ``ChildLimits`` (set once per process with ``configure``): an address-space
cap (``RLIMIT_AS``) so no file can make ffmpeg or ffprobe take the machine's memory, and a
``-max_pixels`` guard before every untrusted ffmpeg input, checked by the decoder on every frame, so
a file whose picture grows partway through is stopped at its first oversized frame. ffprobe goes
without the guard: ``probe`` needs the declared size of an oversized first picture to name it, and
the few frames ffprobe decodes stay under its own, smaller memory cap. Both failures become
``OverLimit`` errors that say what happened; ffmpeg often carries on past a frame it could not
decode (exit status 0), so the runner reads stderr for them after a successful run too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from clipper.errors import FFmpegError, OverLimit

log = logging.getLogger(__name__)

# Demuxers we accept for untrusted media: MP4/MOV, Matroska/WebM, MPEG-TS, FLV, WAV, FLAC, MP3,
# AAC (ADTS), Ogg (Vorbis/Opus). ffmpeg matches these against each demuxer's comma-separated names.
ALLOWED_DEMUXERS = ("mov", "mp4", "m4a", "matroska", "webm", "mpegts", "flv", "wav", "flac", "mp3", "aac", "ogg")
HARDENING = {
    "protocol_whitelist": "file",
    "format_whitelist": ",".join(ALLOWED_DEMUXERS),
}
# The same, as argv flags to put before an untrusted ``-i`` in a hand-built argument list.
HARDENED_INPUT = ["-protocol_whitelist", HARDENING["protocol_whitelist"], "-format_whitelist", HARDENING["format_whitelist"]]
GLOBAL_ARGS = ["-nostdin", "-hide_banner", "-loglevel", "error"]
DEFAULT_TIMEOUT = 3600.0
MIB = 1024 * 1024
# What ffmpeg and ffprobe print when an allocation fails (under the address-space cap or not).
OUT_OF_MEMORY = re.compile(r"cannot allocate memory|malloc of size|failed to map segment|out of memory|bad_alloc"
                           r"|get_buffer\(\) failed|pthread_create", re.IGNORECASE)
TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count")
CRASH_SIGNALS = {-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT}


def auto_memory_mb(cpus: int | None = None) -> int:
    """The default address-space cap of an ffmpeg run on this machine.

    ffmpeg's own libraries map about 250 MiB, and libx264 keeps frames per thread (1.5 threads per
    core, per variant): a three-variant 1080p render peaked at 0.7 GB resident with 2 cores' threads,
    2.0 GB with 16 and 3.4 GB with 32, and needed 3.6-4 GiB of address space with 16 cores' threads.
    2048 MiB plus 160 MiB a core leaves room above that (4608 MiB on 16 cores).
    """
    cpus = cpus or len(os.sched_getaffinity(0))
    return 2048 + 160 * cpus


@dataclass(frozen=True)
class ChildLimits:
    """Caps on every ffmpeg/ffprobe child. 0 turns a cap off."""

    memory_mb: int = field(default_factory=auto_memory_mb)  # RLIMIT_AS of ffmpeg runs
    probe_memory_mb: int = 1024  # RLIMIT_AS of ffprobe runs
    max_width: int = 7680  # with max_height: the largest picture any decoded frame may have
    max_height: int = 4320

    @property
    def max_pixels(self) -> int:
        return self.max_width * self.max_height


_limits = ChildLimits()


def configure(limits: ChildLimits) -> None:
    """Set the caps for every later child of this process (the workers and the web app call it at start)."""
    global _limits
    _limits = limits


def limits() -> ChildLimits:
    return _limits


@dataclass(frozen=True)
class Completed:
    argv: list[str]
    stdout: bytes
    stderr: str


def hardened_input(path: str | Path, **options: Any) -> Any:
    """An ffmpeg-python input node for an untrusted local file."""
    return ffmpeg_python.input(str(path), **HARDENING, **options)


def compile_graph(stream: Any, *, overwrite: bool = True) -> list[str]:
    """ffmpeg-python graph -> argv list (without the leading ``ffmpeg``)."""
    args = ffmpeg_python.compile(stream, cmd="ffmpeg", overwrite_output=overwrite)
    return list(args[1:])


def run(
    args: Sequence[str] | Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    trusted: bool = False,
    progress: Callable[[float], None] | None = None,
    duration: float | None = None,
    capture_stdout: bool = False,
) -> Completed:
    """Run ffmpeg with ``args`` (an argv list after ``ffmpeg``, or an ffmpeg-python graph).

    ``progress(fraction)`` is called as ffmpeg reports its output time, when ``duration`` is known.
    Raises ``FFmpegError`` with the last stderr line on failure or timeout.
    """
    if not isinstance(args, (list, tuple)):
        args = compile_graph(args)
    args = list(args)
    if not trusted:
        _check_hardened(args)
        args = _guard_pixels(args, _limits.max_pixels)
    argv = ["ffmpeg", *GLOBAL_ARGS]
    if progress is not None and duration:
        argv += ["-progress", "pipe:1", "-nostats"]
    argv += args
    return _execute(argv, timeout=timeout, progress=progress, duration=duration, capture_stdout=capture_stdout,
                    memory_mb=_limits.memory_mb)


def ffprobe(path: str | Path, *, timeout: float = 60.0, trusted: bool = False,
            input_format: str | None = None) -> dict[str, Any]:
    """ffprobe's JSON (format and streams) for a local file, with the hardening flags.

    ``input_format`` forces one allowed demuxer (``-f``), chosen by ``probe.sniff`` from the content.
    """
    argv = ["ffprobe", "-v", "error", "-hide_banner"]
    if not trusted:
        for key, value in HARDENING.items():
            argv += [f"-{key}", value]
    if input_format is not None:
        if input_format not in ALLOWED_DEMUXERS:
            raise FFmpegError(f"Refusing to force demuxer {input_format!r}.", expected=False)
        argv += ["-f", input_format]
    argv += ["-show_format", "-show_streams", "-of", "json", "-i", str(path)]
    done = _execute(argv, timeout=timeout, capture_stdout=True, memory_mb=_limits.probe_memory_mb)
    try:
        return json.loads(done.stdout or b"{}")
    except json.JSONDecodeError as exc:  # pragma: no cover - ffprobe always writes JSON with -of json
        raise FFmpegError("ffprobe returned something that is not JSON.", expected=False) from exc


def _check_hardened(args: list[str]) -> None:
    """Every ``-i`` must be preceded (since the previous input) by both hardening options."""
    since_last: list[str] = []
    for i, arg in enumerate(args):
        if arg == "-i":
            for key in HARDENING:
                if f"-{key}" not in since_last:
                    raise FFmpegError(
                        f"Refusing to open {args[i + 1]!r} without -{key}.", expected=False
                    )
            since_last = []
        else:
            since_last.append(arg)


def _guard_pixels(args: list[str], max_pixels: int) -> list[str]:
    """``-max_pixels`` before every ``-i`` that has none since the previous input (a decoder option:
    ffmpeg checks it on every frame, not only the first)."""
    if not max_pixels:
        return args
    out: list[str] = []
    since_last: list[str] = []
    for arg in args:
        if arg == "-i" and "-max_pixels" not in since_last:
            out += ["-max_pixels", str(max_pixels)]
        since_last = [] if arg == "-i" else [*since_last, arg]
        out.append(arg)
    return out


def _address_space_cap(memory_mb: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that caps the child's address space; it runs in the child before exec."""
    if not memory_mb:
        return None
    cap = memory_mb * MIB
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)  # a child may lower its limits, never raise them past the hard one

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        # Few malloc arenas: each reserves 64 MiB of address space for the threads that use it, which
        # would count against the cap without ever being used. (Set in the child only, before exec.)
        os.putenv("MALLOC_ARENA_MAX", "2")

    return apply


def _execute(
    argv: list[str],
    *,
    timeout: float,
    progress: Callable[[float], None] | None = None,
    duration: float | None = None,
    capture_stdout: bool = False,
    memory_mb: int = 0,
) -> Completed:
    log.info("running %s", shlex.join(argv))
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if (capture_stdout or progress) else subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_address_space_cap(memory_mb),
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            if progress is not None and duration and proc.stdout is not None:
                out = _follow_progress(proc.stdout, progress, duration)
            else:
                out, _ = proc.communicate()
            proc.wait()
        finally:
            timer.cancel()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    _check_limits(argv[0], proc.returncode, stderr, memory_mb)
    if proc.returncode != 0:
        last = _last_line(stderr) or f"exit status {proc.returncode}"
        timed_out = proc.returncode == -9
        message = f"{argv[0]} took longer than {timeout:.0f} s and was stopped." if timed_out else f"{argv[0]} failed: {last}"
        raise FFmpegError(message, detail=stderr[-4000:])
    return Completed(argv=argv, stdout=out or b"", stderr=stderr)


def _check_limits(program: str, returncode: int, stderr: str, memory_mb: int) -> None:
    """Raise the expected error for a frame over the picture limit or a run out of memory, even when
    ffmpeg skipped the frame and exited 0 (its output would be missing pictures)."""
    big = TOO_MANY_PIXELS.search(stderr)
    if big:
        w, h = int(big.group(1)), int(big.group(2))
        raise OverLimit(
            f"The video has pictures of {w}×{h} in it, larger than the largest Clipper accepts "
            f"({_limits.max_width}×{_limits.max_height}). Export it again at one size no larger than that.",
            detail=stderr[-4000:])
    if memory_mb and (OUT_OF_MEMORY.search(stderr) or returncode in CRASH_SIGNALS):
        raise OverLimit(
            f"Reading this file needed more memory than Clipper allows ({memory_mb} MiB for {program}); "
            "it may be damaged or made to overload the server.", detail=stderr[-4000:])


def _follow_progress(stream: Any, progress: Callable[[float], None], duration: float) -> bytes:
    for raw in stream:
        line = raw.decode("ascii", "replace").strip()
        if line.startswith("out_time_us=") or line.startswith("out_time_ms="):
            value = line.split("=", 1)[1]
            if value.isdigit():
                progress(min(1.0, int(value) / 1e6 / duration))
    return b""


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""
