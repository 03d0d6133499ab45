"""Run every benchmark module and write BENCHMARKS.md (``python -m bench [AREA...] [--quick]``)."""

from __future__ import annotations

import importlib
import platform
import sys
import time
import traceback
from pathlib import Path

AREAS = ("speech", "search", "render", "desk")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    areas = [a for a in argv if not a.startswith("-")] or list(AREAS)
    out = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
    sections = [
        "# Benchmarks\n",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}."
        " Ratios compare alternatives measured side by side in the same run; times are medians.\n",
    ]
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
        sections.append(section.rstrip() + f"\n\n_{area}: {time.monotonic() - started:.0f} s_\n")
    out.write_text("\n".join(sections))
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
