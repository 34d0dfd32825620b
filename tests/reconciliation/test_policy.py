"""Tests for the automatic-run policy: `decide_run` alone and simulated days of invocations.

A simulation calls the policy at every invocation (as the entry script does) and, when it
says run, records that run with the decided scope and startup flag, on an injected clock.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from reconciliation.scheduler import (
    STATE_FILENAME,
    ReconciliationScheduler,
    ReconciliationState,
    RunDecision,
    decide_run,
    scope_for,
)

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
MIDNIGHT = datetime(2026, 11, 16, tzinfo=timezone.utc).timestamp()


class Config:
    """Stands in for the validated config: read by attribute, like the real one."""

    def __init__(self, reconcile_interval: str = "never", reconcile_scope: str = "24h") -> None:
        self.reconcile_interval = reconcile_interval
        self.reconcile_scope = reconcile_scope


def busy_days(
    days: int, start_hour: float = 8, end_hour: float = 25, first_day: int = 0
) -> list[float]:
    """Invocations every 10 minutes from start_hour to end_hour (25 = 01:00 next day)."""
    times = []
    for day in range(first_day, first_day + days):
        t = MIDNIGHT + day * DAY + start_hour * HOUR
        while t < MIDNIGHT + day * DAY + end_hour * HOUR:
            times.append(t)
            t += 10 * MINUTE
    return times


def simulate(
    scheduler: ReconciliationScheduler, config: Any, invocations: list[float]
) -> list[RunDecision]:
    runs = []
    for now in invocations:
        decision = scheduler.decide(config, now=now)
        if decision is not None:
            result = {"missing_count": 1, "enqueued_count": 1, "scenes_checked": 10}
            scheduler.record_run(decision.scope, result, is_startup=decision.is_startup, now=now)
            runs.append(decision)
    return runs


@pytest.fixture
def warned() -> list[str]:
    return []


@pytest.fixture
def scheduler(tmp_path: Path, warned: list[str]) -> ReconciliationScheduler:
    return ReconciliationScheduler(tmp_path, warn=warned.append)


def hour_of(epoch: float) -> float:
    return ((epoch - MIDNIGHT) % DAY) / HOUR


# -- simulated days ------------------------------------------------------------------------


def test_daily_all_runs_exactly_once_a_day_with_idle_nights(
    scheduler: ReconciliationScheduler,
) -> None:
    runs = simulate(scheduler, Config("daily", "all"), busy_days(3))
    full = [r for r in runs if r.scope == "all"]
    assert [(r.now - MIDNIGHT) / HOUR for r in full] == [8.0, 32.0, 56.0]
    assert all(not r.is_startup for r in full)
    # Everything else is a startup run on 'recent', at most one per hour of activity.
    others = [r for r in runs if r.scope != "all"]
    assert all(r.is_startup and r.scope == "recent" for r in others)
    times = [r.now for r in runs]
    assert all(b - a >= HOUR for a, b in itertools.pairwise(times))
    state = scheduler.load_state()
    assert state.run_count == len(runs)
    assert state.last_interval_run_time == full[-1].now


def test_never_never_runs(scheduler: ReconciliationScheduler, tmp_path: Path) -> None:
    assert simulate(scheduler, Config("never", "all"), busy_days(3)) == []
    assert simulate(scheduler, "never", busy_days(1)) == []
    assert simulate(scheduler, Config(), busy_days(1)) == []  # the default
    assert not (tmp_path / STATE_FILENAME).exists()


def test_never_does_not_even_read_the_state(
    scheduler: ReconciliationScheduler, tmp_path: Path, warned: list[str]
) -> None:
    (tmp_path / STATE_FILENAME).write_text("{corrupt")
    assert scheduler.decide(Config("never"), now=MIDNIGHT) is None
    assert warned == []


def test_startup_run_after_silence_is_recent_and_does_not_delay_all(
    scheduler: ReconciliationScheduler,
) -> None:
    config = Config("daily", "all")
    day_one = busy_days(1, start_hour=8, end_hour=25)  # 08:00 .. 00:50
    morning = busy_days(1, start_hour=7, end_hour=9, first_day=1)  # day two, 07:00 .. 08:50
    assert morning[0] == MIDNIGHT + DAY + 7 * HOUR
    runs = simulate(scheduler, config, day_one + morning)
    last_two = [(hour_of(r.now), r.scope, r.is_startup) for r in runs[-2:]]
    assert last_two == [(7.0, "recent", True), (8.0, "all", False)]


def test_hourly_interval_leaves_no_room_for_startup_runs(
    scheduler: ReconciliationScheduler,
) -> None:
    runs = simulate(scheduler, Config("hourly", "7days"), busy_days(1, 8, 14))
    assert [(hour_of(r.now), r.scope, r.is_startup) for r in runs] == [
        (float(h), "recent_7days", False) for h in range(8, 14)
    ]


def test_weekly_runs_once_in_seven_days(scheduler: ReconciliationScheduler) -> None:
    runs = simulate(scheduler, Config("weekly", "all"), busy_days(9, 8, 20))
    full = [(r.now - MIDNIGHT) / DAY for r in runs if r.scope == "all"]
    assert full == [8 / 24, 7 + 8 / 24]


def test_manual_run_counts_as_an_interval_run(scheduler: ReconciliationScheduler) -> None:
    # A "Reconcile Library (All)" click at 10:00 moves the next daily run to 10:00 tomorrow.
    scheduler.record_run("all", None, is_startup=False, now=MIDNIGHT + 10 * HOUR)
    runs = simulate(scheduler, Config("daily", "all"), busy_days(2, 8, 20))
    assert [hour_of(r.now) + (r.now - MIDNIGHT) // DAY * 24 for r in runs if r.scope == "all"] == [
        34.0
    ]


# -- decide_run itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "scope"),
    [
        ("all", "all"),
        ("24h", "recent"),
        ("7days", "recent_7days"),
        ("ALL", "all"),
        (" 7days ", "recent_7days"),
        ("recent", "recent"),
        ("recent_7days", "recent_7days"),
        ("30days", "recent"),
        ("", "recent"),
    ],
)
def test_scope_mapping(setting: str, scope: str) -> None:
    assert scope_for(Config("daily", setting)) == scope
    decision = decide_run(Config("daily", setting), ReconciliationState(), MIDNIGHT)
    assert decision == RunDecision(scope, False, decision.reason if decision else "", MIDNIGHT)


def test_scope_defaults_when_config_lacks_it() -> None:
    class OnlyInterval:
        reconcile_interval = "daily"

    decision = decide_run(OnlyInterval(), ReconciliationState(), MIDNIGHT)
    assert decision is not None and decision.scope == "recent"
    decision = decide_run("daily", ReconciliationState(), MIDNIGHT)
    assert decision is not None and decision.scope == "recent"
    decision = decide_run(
        {"reconcile_interval": "daily", "reconcile_scope": "all"}, ReconciliationState(), MIDNIGHT
    )
    assert decision is not None and decision.scope == "all"


@pytest.mark.parametrize("interval", ["never", "bogus", "", None])
def test_never_disables_both_triggers(interval: Any) -> None:
    config = Config("daily")
    config.reconcile_interval = interval
    assert decide_run(config, ReconciliationState(), MIDNIGHT) is None  # never ran at all


def test_interval_wins_over_startup() -> None:
    state = ReconciliationState(last_run_time=MIDNIGHT, last_interval_run_time=MIDNIGHT)
    decision = decide_run(Config("daily", "all"), state, MIDNIGHT + DAY)
    assert decision is not None
    assert (decision.scope, decision.is_startup) == ("all", False)
    assert "daily" in decision.reason


def test_startup_when_interval_not_due() -> None:
    state = ReconciliationState(last_run_time=MIDNIGHT, last_interval_run_time=MIDNIGHT)
    decision = decide_run(Config("daily", "all"), state, MIDNIGHT + HOUR)
    assert decision is not None
    assert (decision.scope, decision.is_startup, decision.now) == ("recent", True, MIDNIGHT + HOUR)
    assert "1.0 h" in decision.reason
    assert decide_run(Config("daily", "all"), state, MIDNIGHT + HOUR - 1) is None


def test_startup_runs_never_delay_interval_runs() -> None:
    state = ReconciliationState(
        last_run_time=MIDNIGHT + DAY - 60,
        is_startup_run=True,
        last_interval_run_time=MIDNIGHT,
    )
    decision = decide_run(Config("daily", "all"), state, MIDNIGHT + DAY)
    assert decision is not None and (decision.scope, decision.is_startup) == ("all", False)


def test_startup_state_of_an_earlier_version_without_interval_time_is_due() -> None:
    # An earlier version's last run was a startup run and it kept no interval time.
    state = ReconciliationState(last_run_time=MIDNIGHT, is_startup_run=True)
    decision = decide_run(Config("weekly", "all"), state, MIDNIGHT + 60)
    assert decision is not None and decision.scope == "all"


def test_decide_run_is_pure() -> None:
    state = ReconciliationState(last_run_time=MIDNIGHT, last_gaps_by_type={"missing": 1})
    before = copy.deepcopy(state)
    first = decide_run(Config("daily", "all"), state, MIDNIGHT + 2 * HOUR)
    assert decide_run(Config("daily", "all"), state, MIDNIGHT + 2 * HOUR) == first
    assert state == before
