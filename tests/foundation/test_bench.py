"""The hook benchmark keeps working, stays within the memory budget, and edits only its section."""

from __future__ import annotations

from pathlib import Path

from bench._report import write_section
from bench.hook_latency import BUDGET_RSS_MB, SECTION, measure, render_section


def test_a_short_benchmark_run_measures_hooks_within_the_memory_budget() -> None:
    numbers = measure(4, bare_runs=2)
    assert numbers["runs"] == 4
    assert 0 < numbers["median_ms"] <= numbers["p95_ms"]
    assert numbers["bare_rss_mb"] <= numbers["peak_rss_mb"] <= BUDGET_RSS_MB
    assert "| median wall |" in render_section(numbers)


def test_write_section_replaces_only_its_own_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(
        "# Benchmarks\n\n<!-- BEGIN other -->\nkeep me\n<!-- END other -->\n", encoding="utf-8"
    )
    write_section(SECTION, "first\n", path)
    write_section(SECTION, "second\n", path)
    text = path.read_text(encoding="utf-8")
    assert "keep me" in text and "first" not in text
    assert text.count(f"<!-- BEGIN {SECTION} -->\nsecond\n<!-- END {SECTION} -->") == 1
