"""bench/collection_details.py keeps working: a small first sync stays within the per-collection
budget of issue 19, the group ends in scene_index order, a re-sync writes nothing."""

from __future__ import annotations

from bench.collection_details import measure, report


def test_a_small_collection_run_is_measured_within_budget() -> None:
    result = measure(40)
    group, studio = result["rows"]
    assert result["in_order"] and result["writes_again"] == 0
    assert result["collection_reads_again"] == 0
    assert (group["edits"], group["uploads"], group["sort_put"]) == (1, 1, 1)
    assert 0 < group["moves"] <= group["items"] - 1
    assert (studio["edits"], studio["uploads"], studio["sort_put"], studio["moves"]) == (1, 1, 0, 0)
    assert "| group | 40 |" in report(result)
