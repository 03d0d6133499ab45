"""``make bench``: performance figures, written to BENCHMARKS.md.

Each area has a module here with ``run(quick: bool) -> str`` returning a Markdown section. Figures
are ratios against the alternative measured side by side in the same run, medians of several runs.
"""
