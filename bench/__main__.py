"""Run every benchmark module and write BENCHMARKS.md (``python -m bench [AREA...] [--quick]``).

Naming areas runs only those; the sections of the other areas already in BENCHMARKS.md are kept.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
import traceback
from pathlib import Path

AREAS = ("speech", "search", "render", "desk", "scale", "live", "posting", "gallery")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    areas = [a for a in argv if not a.startswith("-")] or list(AREAS)
    out = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
    sections = [
        "# Benchmarks\n",
        "Written by `make bench` (`python -m bench AREA` reruns one area); each section ends with when it ran. "
        f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}."
        " Ratios compare alternatives measured side by side in the same run; times are medians.\n",
    ]
    kept = _sections(out.read_text()) if out.exists() else {}
    results: dict[str, str] = {}
    failed = False
    for area in areas:
        try:
            module = importlib.import_module(f"bench.{area}")
        except ModuleNotFoundError:
            continue
        started = time.monotonic()
        print(f"== {area}", flush=True)
        try:
            section = module.run(quick=quick)
        except Exception:
            failed = True
            section = f"## {area}\n\nFailed:\n\n```\n{traceback.format_exc()}\n```\n"
        print(section, flush=True)
        results[area] = section.rstrip() + f"\n\n_{area}: {time.monotonic() - started:.0f} s, "
        results[area] += f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}_\n"
    for area in AREAS:
        if area in results or area in kept:
            sections.append(results.get(area) or kept[area])
    out.write_text("\n".join(sections))
    print(f"wrote {out}")
    return 1 if failed else 0


def _sections(text: str) -> dict[str, str]:
    """The ``## area`` sections of an earlier BENCHMARKS.md, by area."""
    found: dict[str, str] = {}
    parts = text.split("\n## ")
    for part in parts[1:]:
        area = part.split("\n", 1)[0].split(":")[0].strip()
        if area in AREAS:
            found[area] = "## " + part.rstrip() + "\n"
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
