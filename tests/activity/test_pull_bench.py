"""The pull benchmark keeps working and within the issue's request budget (small library)."""

from __future__ import annotations

from bench.pull_activity import check, measure, render_section


def test_a_small_pull_benchmark_stays_within_the_request_budget() -> None:
    numbers = measure(scenes=12, views=1200)
    assert check(numbers) == []
    nothing, views, again = numbers["rows"]  # type: ignore[misc]
    assert (nothing["history"], views["history"], again["history"]) == (1, 2, 1)
    assert views["plays_added"] == 1200 and again["stash_writes"] == 0
    assert "| nothing new | 1 |" in render_section(numbers)
