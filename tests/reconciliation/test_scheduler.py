"""Tests for ReconciliationScheduler runs: record_run, is_due and is_startup_due (SPEC §3).

Real files in a temporary data folder; the clock is always injected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciliation.scheduler import ReconciliationScheduler, ReconciliationState
from tests.reconciliation.helpers import DAY, HOUR, T0, FakeResult, Warnings

# -- record_run ----------------------------------------------------------------------------


def test_record_run_stores_the_result(scheduler: ReconciliationScheduler) -> None:
    state = scheduler.record_run("all", FakeResult(), now=T0)
    assert state == scheduler.load_state()
    assert state == ReconciliationState(
        last_run_time=T0,
        last_run_scope="all",
        last_gaps_found=6,
        last_gaps_by_type={"empty_metadata": 1, "stale_sync": 2, "missing": 3},
        last_enqueued=5,
        last_scenes_checked=100,
        is_startup_run=False,
        run_count=1,
        last_interval_run_time=T0,
    )


def test_record_run_accepts_the_older_argument_order(scheduler: ReconciliationScheduler) -> None:
    state = scheduler.record_run(FakeResult(), "recent", now=T0)
    assert (state.last_run_scope, state.last_gaps_found, state.last_enqueued) == ("recent", 6, 5)
    state = scheduler.record_run(result=FakeResult(missing_count=9), scope="all", now=T0 + 1)
    assert (state.last_run_scope, state.last_gaps_by_type["missing"]) == ("all", 9)
    assert state.run_count == 2


def test_record_run_accepts_1x_keyword_form(scheduler: ReconciliationScheduler) -> None:
    """1.x scripts call `record_run(result, scope=..., is_startup=...)` (a TypeError before)."""
    state = scheduler.record_run(FakeResult(), scope="recent", is_startup=True, now=T0)
    assert (state.last_run_scope, state.last_gaps_found, state.is_startup_run) == (
        "recent",
        6,
        True,
    )
    assert state.last_interval_run_time == 0.0  # a startup run, as the keyword said
    state = scheduler.record_run({"total_gaps": 2}, scope="all", now=T0 + 1)
    assert (state.last_run_scope, state.last_gaps_found, state.run_count) == ("all", 2, 2)
    with pytest.raises(TypeError):
        scheduler.record_run(FakeResult(), "all", scope="recent", now=T0)


def test_upgrade_state_adds_our_fields_to_a_1x_file(scheduler: ReconciliationScheduler) -> None:
    old = {"last_run_time": T0, "last_run_scope": "all", "is_startup_run": False, "run_count": 4}
    Path(scheduler.state_path).write_text(json.dumps(old))
    state = scheduler.upgrade_state()
    assert state is not None and (state.run_count, state.last_interval_run_time) == (4, T0)
    stored = json.loads(Path(scheduler.state_path).read_text())
    assert stored["run_count"] == 4 and stored["last_interval_run_time"] == T0


def test_record_run_reads_dicts_and_drift(scheduler: ReconciliationScheduler) -> None:
    result = {
        "empty_metadata_count": 0,
        "stale_sync_count": 4,
        "missing_count": 1,
        "drift_count": 2,
        "enqueued_count": 6,
        "scenes_checked": 40,
    }
    state = scheduler.record_run("recent_7days", result, now=T0)
    assert state.last_gaps_by_type == {
        "empty_metadata": 0,
        "stale_sync": 4,
        "missing": 1,
        "drift": 2,
    }
    assert state.last_gaps_found == 7  # no total_gaps given: the sum
    assert (state.last_enqueued, state.last_scenes_checked) == (6, 40)


def test_record_run_tolerates_a_missing_or_odd_result(scheduler: ReconciliationScheduler) -> None:
    state = scheduler.record_run("all", None, now=T0)
    assert (state.last_gaps_found, state.last_enqueued, state.last_gaps_by_type) == (0, 0, {})
    state = scheduler.record_run("all", {"total_gaps": "many", "enqueued_count": -1}, now=T0)
    assert (state.last_gaps_found, state.last_enqueued, state.run_count) == (0, 0, 2)


def test_startup_runs_do_not_move_the_interval_reference(
    scheduler: ReconciliationScheduler,
) -> None:
    scheduler.record_run("all", FakeResult(), now=T0)
    state = scheduler.record_run("recent", FakeResult(), is_startup=True, now=T0 + 5 * HOUR)
    assert (state.last_run_time, state.last_interval_run_time) == (T0 + 5 * HOUR, T0)
    assert state.is_startup_run is True
    assert scheduler.is_due("daily", now=T0 + DAY) is True
    state = scheduler.record_run("recent", FakeResult(), now=T0 + DAY)  # a manual task
    assert (state.is_startup_run, state.last_interval_run_time, state.run_count) == (
        False,
        T0 + DAY,
        3,
    )


def test_record_run_uses_the_injected_clock(tmp_path: Path) -> None:
    scheduler = ReconciliationScheduler(tmp_path, warn=Warnings(), clock=lambda: 1234.5)
    assert scheduler.record_run("all", FakeResult()).last_run_time == 1234.5


# -- is_due / is_startup_due ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "period"), [("hourly", HOUR), ("daily", DAY), ("weekly", 7 * DAY)]
)
def test_interval_boundaries(
    scheduler: ReconciliationScheduler, interval: str, period: float
) -> None:
    assert scheduler.is_due(interval, now=T0) is True  # never ran
    scheduler.record_run("all", FakeResult(), now=T0)
    assert scheduler.is_due(interval, now=T0 + period - 1) is False
    assert scheduler.is_due(interval, now=T0 + period) is True


class Config:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


@pytest.mark.parametrize(
    "config",
    ["never", "NEVER", "", "bogus", "2h", None, 5, Config(), Config(reconcile_interval=None)],
)
def test_never_and_unknown_intervals_are_never_due(
    scheduler: ReconciliationScheduler, config: Any
) -> None:
    assert scheduler.is_due(config, now=T0) is False


@pytest.mark.parametrize(
    "config",
    ["daily", " Daily ", Config(reconcile_interval="daily"), {"reconcile_interval": "daily"}],
)
def test_config_forms(scheduler: ReconciliationScheduler, config: Any) -> None:
    scheduler.record_run("all", FakeResult(), now=T0)
    assert scheduler.is_due(config, now=T0 + DAY - 1) is False
    assert scheduler.is_due(config, now=T0 + DAY) is True


def test_is_due_uses_the_injected_clock(tmp_path: Path) -> None:
    now = [T0]
    scheduler = ReconciliationScheduler(tmp_path, warn=Warnings(), clock=lambda: now[0])
    scheduler.record_run("all", FakeResult())
    assert scheduler.is_due("hourly") is False
    now[0] += HOUR
    assert scheduler.is_due("hourly") is True


def test_startup_due(scheduler: ReconciliationScheduler) -> None:
    assert scheduler.is_startup_due(now=T0) is True  # never ran
    scheduler.record_run("recent", FakeResult(), is_startup=True, now=T0)
    assert scheduler.is_startup_due(now=T0 + HOUR - 1) is False
    assert scheduler.is_startup_due(now=T0 + HOUR) is True
    scheduler.record_run("all", FakeResult(), now=T0 + 2 * HOUR)  # any kind of run counts
    assert scheduler.is_startup_due(now=T0 + 2.5 * HOUR) is False


def test_a_clock_set_far_back_does_not_block_runs(scheduler: ReconciliationScheduler) -> None:
    # The last run was recorded while the clock was two days ahead.
    scheduler.record_run("all", FakeResult(), now=T0 + 2 * DAY)
    assert scheduler.is_due("daily", now=T0) is True
    assert scheduler.is_startup_due(now=T0) is True
    scheduler.record_run("all", FakeResult(), now=T0 + 60)  # a small step back: trusted
    assert scheduler.is_due("daily", now=T0) is False
    assert scheduler.is_startup_due(now=T0) is False
