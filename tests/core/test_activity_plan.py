"""The activity pull's pure rules (plex/activity_plan.py) and the diff with `pull_ratings`:
plays as a multiset, resume points, ratings against the post-write baseline, rounding that
converges, and Stash winning a rating changed on both sides even with `preserve_plex_edits`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from plex.activity_plan import (
    missing_plays,
    plan_rating,
    plan_resume,
    rating100_from_plex,
    stash_time,
)
from plex.diff import FieldChange, PlexItemState, diff_item, preserved_fields
from tests.core.test_diff import desired, in_sync_state
from validation.desired import rating_from_rating100
from validation.fingerprint import fingerprint_value

T = 1_767_000_000


def test_missing_plays_is_a_multiset_compared_by_instant() -> None:
    assert missing_plays([T, T, T + 5], [stash_time(T)]) == [T, T + 5]
    # Stash writes its server's offset: the same instant in +01:00 is the same play.
    in_offset = datetime.fromtimestamp(T, timezone(timedelta(hours=1))).isoformat()
    assert missing_plays([T], [in_offset]) == []
    assert missing_plays([], [in_offset]) == []


def test_resume_point_set_cleared_and_not_rewritten() -> None:
    played = stash_time(T)
    assert plan_resume([(90_000, T + 10)], None, 0, played) == 90.0
    assert plan_resume([(90_000, T + 10)], None, 90.2, played) is None  # already there
    assert plan_resume([(90_000, T - 10)], None, 0, played) is None  # older than Stash's play
    assert plan_resume([(90_000, T + 10)], T + 20, 0, played) is None  # finished since
    assert plan_resume([], T + 20, 45.0, played) == 0.0  # a newer completed view clears
    assert plan_resume([], T - 20, 45.0, played) is None
    assert plan_resume([], T + 20, 0, played) is None  # nothing to clear


@pytest.mark.parametrize(
    ("plex", "expected"), [(7.5, 75), (8.0, 80), (0.5, 5), (10.0, 100), (None, None), (0.0, None)]
)
def test_rating100_from_plex(plex: float | None, expected: int | None) -> None:
    assert rating100_from_plex(plex) == expected


@pytest.mark.parametrize("rating100", [1, 5, 33, 45, 50, 67, 85, 99, 100])
def test_rounding_converges(rating100: int) -> None:
    """Stash → Plex → Stash → Plex lands on one value: no back-and-forth."""
    plex = rating_from_rating100(rating100)
    back = rating100_from_plex(plex)
    assert rating_from_rating100(back) == plex


def _base(value: float | None) -> dict[int, dict[str, str]]:
    return {7: {"userRating": fingerprint_value(value)}}


def test_rating_equal_to_the_baseline_is_ours() -> None:
    # Plex rounded our 8.5 to 9 after the write: the baseline says 9, nothing to pull.
    decision = plan_rating({7: 9.0}, _base(9.0), fingerprint_value(8.5), 85, True)
    assert not decision.pull and not decision.stash_wins


def test_rating_changed_in_plex_is_pulled_and_cleared_too() -> None:
    pulled = plan_rating({7: 6.5}, _base(8.5), fingerprint_value(8.5), 85, True)
    assert pulled.pull and pulled.rating100 == 65
    assert pulled.baseline == {7: fingerprint_value(6.5)}
    cleared = plan_rating({7: None}, _base(8.5), fingerprint_value(8.5), 85, True)
    assert cleared.pull and cleared.rating100 is None


def test_rating_changed_on_both_sides_stash_wins() -> None:
    decision = plan_rating({7: 6.5}, _base(8.5), fingerprint_value(8.5), 90, True)
    assert decision.stash_wins and not decision.pull
    # Without rating pushes (skip_rating) Stash's side is never compared: Plex's is pulled.
    assert plan_rating({7: 6.5}, _base(8.5), None, 90, False).pull


def test_of_several_rated_items_the_last_rated_one_counts() -> None:
    both = {7: 6.0, 8: 9.0}
    bases = {**_base(8.5), 8: {"userRating": fingerprint_value(8.5)}}
    pushed = fingerprint_value(8.5)
    assert plan_rating(both, bases, pushed, 85, True, {7: T + 5, 8: T}).rating100 == 60
    assert plan_rating(both, bases, pushed, 85, True, {7: T, 8: T + 5}).rating100 == 90


def test_without_a_baseline_what_we_pushed_decides() -> None:
    assert not plan_rating({7: 8.5}, {}, fingerprint_value(8.5), 85, True).pull
    assert plan_rating({7: 4.0}, {}, None, None, True).rating100 == 40


def _rated(current: PlexItemState, value: float) -> PlexItemState:
    fields: dict[str, Any] = {**current.fields, "userRating": str(value)}
    return PlexItemState(
        current.rating_key, current.section_id, fields, current.tags, current.locked
    )


def test_preserve_plex_edits_keeps_no_rating_while_ratings_are_pulled() -> None:
    pushed = desired(rating100=80)
    in_plex = _rated(in_sync_state(pushed), 3.0)
    keep_all = preserved_fields(True, False)
    assert diff_item(in_plex, desired(rating100=90), pushed.fingerprints(), keep_all).preserved
    pulling = preserved_fields(True, True)
    assert pulling and "title" in pulling  # type: ignore[operator]
    plan = diff_item(in_plex, desired(rating100=90), pushed.fingerprints(), pulling)
    assert plan.fields == (FieldChange("userRating", 9.0),)
    assert preserved_fields(False, True) is False
