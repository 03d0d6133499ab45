"""Keeping ``clipper up``'s processes running: restart what dies, stop only when asked.

``Supervisor(children).run()`` starts every child, and when one exits on its own it logs how it
ended and starts it again after a back-off (1 s, 2 s, 4 s ... at most 30 s, counted over the
deaths of the last minute). Only Ctrl-C or SIGTERM stop the whole set. A child that dies
``max_deaths`` times within ``window`` seconds is a crash loop (a port taken, Redis gone, a broken
install): restarting it would only hide that, so everything is stopped with a message saying which
part failed and how, and ``run`` returns 1. Jobs a killed worker was running are picked up again by
the workers' own recovery (``worker_recovery_seconds``), not here.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Child:
    name: str  # "worker-1", "web": what the log and the crash-loop message call it
    argv: tuple[str, ...]


@dataclass
class _Running:
    child: Child
    proc: subprocess.Popen[bytes] | None = None
    restart_at: float = 0.0
    deaths: deque[float] = field(default_factory=deque)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class Supervisor:
    def __init__(self, children: Sequence[Child], *, env: Mapping[str, str] | None = None, max_deaths: int = 5,
                 window: float = 60.0, backoff: float = 1.0, max_backoff: float = 30.0, stop_timeout: float = 20.0,
                 say: Callable[[str], None] | None = None) -> None:
        self.running = [_Running(c) for c in children]
        self.env = dict(env) if env is not None else None
        self.max_deaths, self.window = max_deaths, window
        self.backoff, self.max_backoff, self.stop_timeout = backoff, max_backoff, stop_timeout
        self.say = say or log.warning
        self.stopping = False
        self.failure = ""

    def stop(self, *_: Any) -> None:
        """Signal handler (SIGINT, SIGTERM): stop every child and return from ``run``."""
        self.stopping = True

    def run(self, poll: float = 0.2) -> int:
        """Start the children and keep them running until ``stop``; 0 when stopped, 1 after a crash loop."""
        for r in self.running:
            self._start(r)
        try:
            while not self.stopping:
                now = time.monotonic()
                for r in self.running:
                    self._check(r, now)
                    if self.stopping:
                        break
                time.sleep(poll)
        finally:
            self._stop_all()
        if self.failure:
            self.say(self.failure)
            return 1
        return 0

    def pids(self) -> dict[str, int]:
        return {r.child.name: r.proc.pid for r in self.running if r.proc is not None and r.proc.poll() is None}

    def _start(self, r: _Running) -> None:
        r.proc = subprocess.Popen(list(r.child.argv), env=self.env)
        r.restart_at = 0.0

    def _check(self, r: _Running, now: float) -> None:
        if r.proc is None:  # waiting out its back-off
            if now >= r.restart_at and not self.stopping:
                self._start(r)
                self.say(f"{r.child.name} restarted (pid {r.proc.pid}).")
            return
        code = r.proc.poll()
        if code is None or self.stopping:
            return
        r.proc = None
        r.deaths.append(now)
        while r.deaths and now - r.deaths[0] > self.window:
            r.deaths.popleft()
        how = describe_exit(code)
        if len(r.deaths) >= self.max_deaths:
            self.failure = (f"Stopping Clipper: {r.child.name} {how}, and it has died {len(r.deaths)} times "
                            f"within {self.window:.0f} s. Look at its messages above for the cause.")
            self.stopping = True
            return
        delay = min(self.max_backoff, self.backoff * 2 ** (len(r.deaths) - 1))
        r.restart_at = now + delay
        self.say(f"{r.child.name} {how}; restarting it in {delay:g} s.")

    def _stop_all(self) -> None:
        procs = [r.proc for r in self.running if r.proc is not None]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
