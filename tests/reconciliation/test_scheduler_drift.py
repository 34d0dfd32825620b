"""The history records drift with the other gap types (`last_gaps_by_type`, `last_gaps_found`)."""

from __future__ import annotations

from pathlib import Path

from reconciliation.result import GapDetectionResult
from reconciliation.scheduler import ReconciliationScheduler


def test_a_result_with_drift_is_recorded_with_its_own_gap_types(tmp_path: Path) -> None:
    scheduler = ReconciliationScheduler(tmp_path)
    result = GapDetectionResult(missing_count=1, drift_count=4, total_gaps=5)
    state = scheduler.record_run("all", result, now=1_800_000_000.0)
    assert state.last_gaps_by_type == {
        "empty_metadata": 0,
        "stale_sync": 0,
        "missing": 1,
        "drift": 4,
    }
    assert state.last_gaps_found == 5

    verified = GapDetectionResult(drift_count=1, plex_drift_count=2, plex_verified=True)
    verified.total_gaps = sum(verified.by_type.values())
    state = scheduler.record_run("all", verified, now=1_800_000_100.0)
    assert state.last_gaps_by_type["plex_drift"] == 2 and state.last_gaps_found == 3
    assert scheduler.load_state().last_gaps_by_type == state.last_gaps_by_type
