"""The test suite itself: it runs where `make test` runs it, including without pytest's cache plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_speech_fixtures_set_up_without_the_cache_plugin() -> None:
    """`-p no:cacheprovider` (read-only checkouts, some CI set-ups) must not make the speech tests error:
    converted weights live in a directory of the test session, not in pytest's cache."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--setup-only", "-q", "-k", "openai",
         "tests/clipper/test_speech.py", "tests/clipper/test_speech_glossary.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode in (0, 5), out[-3000:]  # 5: nothing collected
    assert "AttributeError" not in out and " error" not in out.lower(), out[-3000:]
