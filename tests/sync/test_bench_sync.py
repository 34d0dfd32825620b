"""bench/sync.py keeps working: a small Sync All through the real worker, then an unchanged
re-sync that writes nothing; its docs section replaces only its own markers."""

from __future__ import annotations

from pathlib import Path

from bench.sync import BEGIN, END, WRITES, measure_sync, render_section, write_section


def test_a_small_sync_all_run_is_measured_and_rendered(tmp_path: Path) -> None:
    numbers = measure_sync(120, 0.0, None)

    assert numbers["check_ok"], numbers["problems"]
    first, again = numbers["first"], numbers["again"]
    assert first["summary"]["synced"] > 50
    assert sum(first["plex"].get(route, 0) for route in WRITES) > 100
    assert sum(again["plex"].get(route, 0) for route in WRITES) == 0
    assert sum(again["plex"].values()) <= 25
    section = render_section(numbers, None)
    assert "| first sync |" in section and "| unchanged re-sync |" in section

    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n<!-- BEGIN other -->\nkeep\n<!-- END other -->\n")
    write_section("one\n", path)
    write_section("two\n", path)
    text = path.read_text()
    assert "keep" in text and "one" not in text and text.count(f"{BEGIN}\ntwo\n{END}") == 1
