"""bench/sandbox_load.py keeps working: a small library loads into both emulators, both
serve it with the library's counts, and the numbers render as its docs section."""

from __future__ import annotations

from bench.sandbox_load import PAGE, measure, render_section


def test_a_small_library_loads_and_both_emulators_serve_it() -> None:
    numbers = measure(500)

    assert numbers.stash_count == 500
    assert numbers.stash_page == PAGE
    assert 0 < numbers.section_items < numbers.plex_items
    assert numbers.plex_total == numbers.section_items
    assert numbers.plex_page == PAGE
    assert numbers.counts_ok
    assert numbers.stash_requests >= 2  # stashapi's connection check, then findScenes
    section = render_section(numbers)
    assert "| **nothing to both serving** |" in section and "500 scenes" in section
    # Writing the section is bench._report's job, tested in tests/foundation/test_bench.py.
