"""Tests for ReconciliationState persistence: load_state healing and atomic save_state.

Real files in a temporary data folder; os.replace is replaced only to play Windows' sharing
violation, which cannot happen on POSIX.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from base.fileio import atomic_write_bytes
from reconciliation.scheduler import STATE_FILENAME, ReconciliationScheduler, ReconciliationState
from tests.reconciliation.helpers import DAY, T0, FakeResult, Warnings, stray_files, write_state

# -- the state dataclass -------------------------------------------------------------------


def test_state_fields_and_defaults_are_the_contract() -> None:
    state = ReconciliationState()
    assert dataclasses.asdict(state) == {
        "last_run_time": 0.0,
        "last_run_scope": "",
        "last_gaps_found": 0,
        "last_gaps_by_type": {},
        "last_enqueued": 0,
        "last_scenes_checked": 0,
        "is_startup_run": False,
        "run_count": 0,
        "last_interval_run_time": 0.0,
    }
    assert ReconciliationState().last_gaps_by_type is not state.last_gaps_by_type


# -- load_state ----------------------------------------------------------------------------


def test_missing_file_gives_defaults_silently(
    scheduler: ReconciliationScheduler, warnings: Warnings
) -> None:
    assert scheduler.load_state() == ReconciliationState()
    assert warnings == []


def test_missing_data_dir_gives_defaults_and_save_creates_it(tmp_path: Path) -> None:
    scheduler = ReconciliationScheduler(tmp_path / "not" / "yet", warn=Warnings())
    assert scheduler.load_state() == ReconciliationState()
    scheduler.save_state(ReconciliationState(run_count=2))
    assert scheduler.load_state().run_count == 2


@pytest.mark.parametrize("content", ["", "   \n", b"\x00\x00\x00"])
def test_empty_file_gives_defaults_and_one_warning(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings, content: Any
) -> None:
    write_state(tmp_path, content)
    assert scheduler.load_state() == ReconciliationState()
    assert scheduler.load_state() == ReconciliationState()
    assert len(warnings) == 1
    assert STATE_FILENAME in warnings[0]


@pytest.mark.parametrize(
    "content",
    ['{"last_run_time": 12', "not json", "[1, 2]", '"text"', "null", b"\xff\xfe{}", "[" * 100_000],
)
def test_corrupt_file_heals(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings, content: Any
) -> None:
    write_state(tmp_path, content)
    assert scheduler.load_state() == ReconciliationState()
    assert scheduler.is_due("daily", now=T0) is True  # defaults: never ran
    assert len(warnings) == 1
    assert "corrupt" in warnings[0]
    scheduler.record_run("all", FakeResult(), now=T0)
    assert scheduler.load_state().last_run_time == T0
    assert json.loads((tmp_path / STATE_FILENAME).read_text())["run_count"] == 1
    assert len(warnings) == 1
    # A fresh process reading the healed file has nothing to say.
    fresh: Warnings = Warnings()
    assert ReconciliationScheduler(tmp_path, warn=fresh).load_state().run_count == 1
    assert fresh == []


def test_wrong_types_fall_back_per_key_and_extra_keys_are_ignored(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings
) -> None:
    write_state(
        tmp_path,
        json.dumps(
            {
                "last_run_time": "yesterday",
                "last_run_scope": "all",
                "last_gaps_found": 4.0,
                "last_gaps_by_type": {"missing": 4, "stale_sync": "x", "drift": 1},
                "last_enqueued": True,
                "last_scenes_checked": 10,
                "is_startup_run": 1,
                "run_count": 7,
                "last_interval_run_time": 123.5,
                "some_future_key": {"a": 1},
            }
        ),
    )
    state = scheduler.load_state()
    assert state == ReconciliationState(
        last_run_time=0.0,
        last_run_scope="all",
        last_gaps_found=4,
        last_gaps_by_type={"missing": 4, "drift": 1},
        last_enqueued=0,
        last_scenes_checked=10,
        is_startup_run=False,
        run_count=7,
        last_interval_run_time=123.5,
    )
    assert len(warnings) == 1
    for key in ("last_run_time", "last_enqueued", "is_startup_run"):
        assert key in warnings[0]


def test_state_of_an_earlier_version_is_read(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings
) -> None:
    # Earlier Stash2Plex wrote no last_interval_run_time; its last non-startup run counts.
    write_state(
        tmp_path,
        json.dumps({"last_run_time": T0, "last_run_scope": "all", "is_startup_run": False}),
    )
    assert scheduler.load_state().last_run_time == T0
    assert scheduler.is_due("daily", now=T0 + DAY - 1) is False
    assert scheduler.is_due("daily", now=T0 + DAY) is True
    assert warnings == []


def test_a_byte_order_mark_is_accepted(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings
) -> None:
    write_state(tmp_path, b"\xef\xbb\xbf" + json.dumps({"run_count": 3}).encode())
    assert scheduler.load_state().run_count == 3
    assert warnings == []


def test_non_finite_numbers_are_invalid(
    tmp_path: Path, scheduler: ReconciliationScheduler, warnings: Warnings
) -> None:
    write_state(tmp_path, '{"last_run_time": NaN, "last_interval_run_time": Infinity}')
    assert scheduler.load_state() == ReconciliationState()
    assert len(warnings) == 1


# -- save_state ----------------------------------------------------------------------------


def test_save_round_trips_and_leaves_no_temp_files(
    tmp_path: Path, scheduler: ReconciliationScheduler
) -> None:
    state = ReconciliationState(
        last_run_time=T0,
        last_run_scope="recent_7days",
        last_gaps_found=3,
        last_gaps_by_type={"missing": 3},
        last_enqueued=2,
        last_scenes_checked=50,
        is_startup_run=True,
        run_count=4,
        last_interval_run_time=T0 - DAY,
    )
    for _ in range(5):
        scheduler.save_state(state)
    assert stray_files(tmp_path) == []
    assert scheduler.load_state() == state
    assert json.loads((tmp_path / STATE_FILENAME).read_text()) == dataclasses.asdict(state)


def test_failed_save_keeps_the_old_file_and_no_temp_file(
    tmp_path: Path, scheduler: ReconciliationScheduler
) -> None:
    scheduler.save_state(ReconciliationState(run_count=1))
    # A directory in place of the target makes os.replace fail on every platform.
    (tmp_path / STATE_FILENAME).unlink()
    (tmp_path / STATE_FILENAME).mkdir()
    with pytest.raises(OSError):
        scheduler.save_state(ReconciliationState(run_count=2))
    assert stray_files(tmp_path) == []


def test_replace_is_retried_on_permission_error(
    tmp_path: Path, scheduler: ReconciliationScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows' sharing violation cannot happen on POSIX; os.replace is the seam.
    real_replace = os.replace
    failures = [PermissionError(13, "sharing violation")] * 2

    def flaky_replace(src: str, dst: str) -> None:
        if failures:
            raise failures.pop()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    scheduler.save_state(ReconciliationState(run_count=9))
    monkeypatch.undo()
    assert failures == []
    assert scheduler.load_state().run_count == 9
    assert stray_files(tmp_path) == []


def test_replace_gives_up_after_a_few_permission_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    slept: list[float] = []

    def always_locked(src: str, dst: str) -> None:
        calls.append(dst)
        raise PermissionError(13, "sharing violation")

    monkeypatch.setattr(os, "replace", always_locked)
    with pytest.raises(PermissionError):
        atomic_write_bytes(tmp_path / STATE_FILENAME, b"{}", sleep=slept.append)
    monkeypatch.undo()
    assert 2 < len(calls) < 10
    assert len(slept) == len(calls) - 1
    assert slept == sorted(slept) and sum(slept) < 2  # backs off, briefly
    assert os.listdir(tmp_path) == []
