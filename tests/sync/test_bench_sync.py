"""bench/sync.py keeps working: a small Sync All through the real worker, then an unchanged
re-sync that writes nothing, rendered as its docs section."""

from __future__ import annotations

from bench.sync import WRITES, measure_sync, render_section


def test_a_small_sync_all_run_is_measured_and_rendered() -> None:
    numbers = measure_sync(120, 0.0, None)

    assert numbers["check_ok"], numbers["problems"]
    first, again = numbers["first"], numbers["again"]
    assert first["summary"]["synced"] > 50
    assert sum(first["plex"].get(route, 0) for route in WRITES) > 100
    assert sum(again["plex"].get(route, 0) for route in WRITES) == 0
    assert sum(again["plex"].values()) <= 25
    section = render_section(numbers, None)
    assert "| first sync |" in section and "| unchanged re-sync |" in section
    # Writing the section is bench._report's job, tested in tests/foundation/test_bench.py.
