"""What the activity pull changes in Stash, per scene: plays to add, resume, rating. Pure.

Inputs are plain data (the Stash scene's play fields, the stored views of its items, the
items in progress, the rated items with their post-write baselines); the worker's pull
(`worker/pull.py`) reads them, asks this module and writes. Rules: docs/plex-activity.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from base.timestamps import parse_rfc3339
from validation.desired import rating_from_rating100
from validation.fingerprint import fingerprint_value

__all__ = [
    "RESUME_TOLERANCE_S",
    "RatingDecision",
    "ScenePlan",
    "missing_plays",
    "plan_rating",
    "plan_resume",
    "rating100_from_plex",
    "stash_time",
]

RESUME_TOLERANCE_S = 1.0  # a resume point this close to Stash's is not written again
RATING_FIELD = "userRating"


def stash_time(epoch: int) -> str:
    """An epoch as the RFC 3339 UTC text Stash's `Timestamp` scalar accepts."""
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def missing_plays(view_times: Iterable[int], play_history: Iterable[object]) -> list[int]:
    """The view times Stash's `play_history` lacks, as a multiset (two views in one second
    are two plays); instants compare, whatever offset Stash wrote them in."""
    have = Counter(int(t) for t in (parse_rfc3339(p) for p in play_history) if t is not None)
    missing: list[int] = []
    for when in sorted(int(v) for v in view_times):
        if have[when] > 0:
            have[when] -= 1
        else:
            missing.append(when)
    return missing


def plan_resume(
    offsets: Sequence[tuple[int, int | None]],
    newest_view: int | None,
    resume_time: object,
    last_played_at: object,
) -> float | None:
    """The `resume_time` to write, or None for no write.

    `offsets`: (viewOffset ms, lastViewedAt) of the scene's items in progress. An item in
    progress more recent than Stash's last play and than every completed view sets
    viewOffset / 1000; otherwise a completed view newer than Stash's last play clears a
    resume point Stash still holds. Nothing is written when Stash already holds the value.
    """
    played = parse_rfc3339(last_played_at) or 0.0
    current = _number(resume_time)
    best = max(
        (
            o
            for o in offsets
            if o[0] > 0 and (o[1] or 0) > played and (o[1] or 0) > (newest_view or 0)
        ),
        key=lambda o: o[1] or 0,
        default=None,
    )
    if best is not None:
        wanted = best[0] / 1000.0
        return None if abs(wanted - current) < RESUME_TOLERANCE_S else wanted
    if newest_view is not None and newest_view > played and current > 0:
        return 0.0
    return None


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def rating100_from_plex(user_rating: float | None) -> int | None:
    """Plex's 0-10 `userRating` (half stars too) as Stash's rating100; None clears."""
    if user_rating is None or user_rating <= 0:
        return None
    value = round(user_rating * 10)
    return min(max(value, 1), 100) if value > 0 else None


@dataclass(frozen=True)
class RatingDecision:
    """`pull`: write `rating100` to Stash; `stash_wins`: queue the scene so Plex gets Stash's
    value back; `baseline`: the Plex value (fingerprint) now known, per item."""

    pull: bool = False
    rating100: int | None = None
    stash_wins: bool = False
    baseline: Mapping[int, str] | None = None


def plan_rating(
    plex_ratings: Mapping[int, float | None],
    baselines: Mapping[int, Mapping[str, str]],
    pushed: str | None,
    stash_rating100: object,
    pushes_ratings: bool,
    rated_at: Mapping[int, int] | None = None,
) -> RatingDecision:
    """Decide one scene's rating from its rated items (ratingKey -> Plex's userRating).

    A Plex value equal to the item's post-write baseline (else to what we pushed) is ours:
    nothing. Otherwise the user rated in Plex: Stash takes it, unless Stash's rating also
    changed since our last push (`pushed` = fingerprint of what we pushed), then Stash wins.
    Without rating pushes (`skip_rating`) Stash's side is never compared: Plex's rating is
    pulled. `rated_at`: each item's `lastRatedAt`, to pick among several rated items.
    """
    changed: dict[int, float | None] = {}
    for rating_key, have in sorted(plex_ratings.items()):
        seen = fingerprint_value(_plex_value(have))
        base = (baselines.get(rating_key) or {}).get(RATING_FIELD)
        reference = base if base is not None else pushed
        if reference is None:
            reference = fingerprint_value(None)
        if seen != reference:
            changed[rating_key] = have
    if not changed:
        return RatingDecision()
    fresh = {rk: fingerprint_value(_plex_value(v)) for rk, v in changed.items()}
    want = rating_from_rating100(stash_rating100)
    if pushes_ratings:
        pushed_value = pushed if pushed is not None else fingerprint_value(None)
        if fingerprint_value(want) != pushed_value:
            return RatingDecision(stash_wins=True)
    # Several of the scene's items rated differently: the one rated last (`lastRatedAt`).
    newest = changed[max(changed, key=lambda rk: ((rated_at or {}).get(rk, 0), rk))]
    value = rating100_from_plex(newest)
    return RatingDecision(pull=True, rating100=value, baseline=fresh)


def _plex_value(user_rating: float | None) -> float | None:
    """Plex's value as the writer's diff normalises it (one decimal; 0 or absent = none)."""
    if user_rating is None or user_rating <= 0:
        return None
    return round(float(user_rating), 1)


@dataclass(frozen=True)
class ScenePlan:
    """Everything the pull writes for one scene (None / empty: nothing)."""

    scene_id: int
    add_plays: tuple[int, ...] = ()
    play_count: int | None = None  # v0.24: the absolute count to set
    resume_time: float | None = None
    rating: RatingDecision = RatingDecision()
    delivered: tuple[str, ...] = ()  # history keys this plan delivers

    @property
    def writes(self) -> bool:
        return bool(
            self.add_plays
            or self.play_count is not None
            or self.resume_time is not None
            or self.rating.pull
        )
