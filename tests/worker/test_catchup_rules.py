"""The catch-up's pure rules: the server's offset read from Stash's timestamps, the text
bound of the `updated_at` criterion, which scenes a catch-up queues, how the watermark
moves, and the wake-up decision from a job list (docs/worker.md, "The catch-up")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from base.stash_time import (
    KNOWN_OFFSET_MARGIN_S,
    UNKNOWN_OFFSET_MARGIN_S,
    text_lower_bound,
    utc_offset_s,
)
from base.timestamps import parse_rfc3339
from runtime.wakeup import WORKER_JOB_DESCRIPTION, others_waiting, our_job_waits_last
from stash.protocol import JobInfo
from sync_queue.watermark import (
    Watermark,
    advance,
    changed_scenes,
    load_watermark,
    save_watermark,
)
from worker.catchup import catch_up_filter

MARGIN = KNOWN_OFFSET_MARGIN_S


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-12-05T06:00:00+01:00", 3600),
        ("2026-12-05T06:00:00Z", 0),
        ("2026-12-05T06:00:00-09:30", -34200),
        ("2026-12-05T06:00:00.123+0530", 19800),
        ("2026-12-05T06:00:00", None),  # no offset: not learned
        ("2026-12-05T06:00:00+15:00", None),  # beyond any real offset
        ("2026-12-05T06:00:00+01:75", None),
        ("not a time", None),
        (None, None),
    ],
)
def test_the_utc_offset_is_read_from_stash_text(text: object, offset: int | None) -> None:
    assert utc_offset_s(text) == offset


def test_a_known_offset_gives_a_bound_seconds_before_in_the_server_offset() -> None:
    stored = "2026-12-05T06:00:00+01:00"
    bound = text_lower_bound(parse_rfc3339(stored) or 0.0, utc_offset_s(stored))
    assert bound == "2026-12-05T05:59:55"
    # Compared as text (reference/stash.md §7.3), the stored row of that second is greater,
    # and so is one written a few seconds earlier; one written a minute earlier is not.
    assert stored > bound and bound < "2026-12-05T05:59:56+01:00"
    assert not bound < "2026-12-05T05:59:00+01:00"


def test_an_unknown_offset_widens_the_bound_by_a_day_in_utc() -> None:
    instant = datetime(2026, 12, 5, 6, 0, tzinfo=timezone.utc).timestamp()
    assert text_lower_bound(instant, None) == "2026-12-04T06:00:00"
    assert text_lower_bound(instant, None, 0) == "2026-12-05T06:00:00"
    # Every offset's text of that instant sorts after the bound.
    for hours in (-12, -1, 0, 5, 14):
        zone = timezone(timedelta(hours=hours))
        text = datetime.fromtimestamp(instant, zone).isoformat()
        assert text > text_lower_bound(instant, None)
    assert UNKNOWN_OFFSET_MARGIN_S == 86400.0


def _scene(sid: int, text: str) -> dict[str, object]:
    return {"id": str(sid), "updated_at": text}


def _mark(text: str, seen: set[tuple[int, str]] = frozenset()) -> Watermark:  # type: ignore[assignment]
    return Watermark(text, parse_rfc3339(text), utc_offset_s(text), frozenset(seen))


def test_synced_scenes_are_queued_only_when_their_updated_at_differs() -> None:
    mark = _mark("2026-12-05T06:00:00+01:00")
    scenes = [
        _scene(1, "2026-12-05T06:10:00+01:00"),  # Auto Tag bumped it
        _scene(2, "2026-12-05T06:10:00+01:00"),  # synced at this very version
        _scene(3, "2026-12-05T05:10:00Z"),  # the same instant as synced, other offset
    ]
    synced = {
        1: ("2026-12-05T05:00:00+01:00", parse_rfc3339("2026-12-05T05:00:00+01:00")),
        2: ("2026-12-05T06:10:00+01:00", parse_rfc3339("2026-12-05T06:10:00+01:00")),
        3: ("2026-12-05T06:10:00+01:00", parse_rfc3339("2026-12-05T06:10:00+01:00")),
    }
    assert changed_scenes(scenes, synced, mark, MARGIN) == [1]


def test_a_scene_never_synced_is_queued_once_per_version() -> None:
    first = _mark("2026-12-05T06:00:00+01:00")
    page = [_scene(7, "2026-12-05T06:10:00+01:00")]  # changed since the last look
    assert changed_scenes(page, {}, first, MARGIN) == [7]
    # The next catch-up reads it again (it is the newest, inside the margin): not again.
    moved = advance(first, page, MARGIN)
    assert moved.text == "2026-12-05T06:10:00+01:00" and (7, page[0]["updated_at"]) in moved.seen
    assert changed_scenes(page, {}, moved, MARGIN) == []
    # A newer version of it is queued again.
    assert changed_scenes([_scene(7, "2026-12-05T06:20:00+01:00")], {}, moved, MARGIN) == [7]


def test_versions_older_than_the_margin_were_seen_by_the_last_catch_up() -> None:
    mark = _mark("2026-12-05T06:00:00+01:00")
    old = [_scene(4, "2026-12-05T05:00:00+01:00")]  # a day-wide window returns it again
    assert changed_scenes(old, {}, mark, MARGIN) == []
    # Inside the margin and not among the seen pairs: committed after the last read.
    late = [_scene(5, "2026-12-05T05:59:58+01:00")]
    assert changed_scenes(late, {}, mark, MARGIN) == [5]


def test_without_a_watermark_instant_every_scene_found_is_new() -> None:
    empty = Watermark(None, None, None)
    assert catch_up_filter(empty) == {}
    assert changed_scenes([_scene(1, "2026-12-05T06:00:00Z")], {}, empty, MARGIN) == [1]


def test_the_watermark_never_moves_back_and_keeps_only_the_margin_pairs() -> None:
    mark = advance(None, [_scene(1, "2026-12-05T06:00:00+01:00")], MARGIN)
    older = advance(mark, [_scene(2, "2026-12-05T04:00:00+01:00")], MARGIN)
    assert older.text == mark.text and older.seen == mark.seen
    newer = advance(mark, [_scene(3, "2026-12-05T06:00:03+01:00")], MARGIN)
    assert newer.seen == {(1, "2026-12-05T06:00:00+01:00"), (3, "2026-12-05T06:00:03+01:00")}
    newest = advance(newer, [_scene(4, "2026-12-05T07:00:00+01:00")], MARGIN)
    assert newest.seen == {(4, "2026-12-05T07:00:00+01:00")}
    assert newest.offset_s == 3600
    assert advance(None, [], MARGIN) == Watermark(None, None, None)


def test_the_filter_uses_the_learned_offset() -> None:
    mark = _mark("2026-12-05T06:00:00-05:00")
    assert catch_up_filter(mark) == {
        "updated_at": {"value": "2026-12-05T05:59:55", "modifier": "GREATER_THAN"}
    }


def test_the_watermark_file_round_trips_and_a_broken_one_counts_as_absent(
    tmp_path: Path,
) -> None:
    mark = _mark("2026-12-05T06:00:00+01:00", {(3, "2026-12-05T06:00:00+01:00")})
    save_watermark(tmp_path, mark)
    assert load_watermark(tmp_path) == mark
    (tmp_path / "catch_up.json").write_text('{"updated_at": "yesterday"}')
    assert load_watermark(tmp_path) is None
    (tmp_path / "catch_up.json").write_text("{")
    assert load_watermark(tmp_path) is None


OURS, OTHER = WORKER_JOB_DESCRIPTION, "Auto-tagging..."


def _jobs(*entries: tuple[str, str]) -> list[JobInfo]:
    return [JobInfo(str(i), status, text) for i, (status, text) in enumerate(entries)]


@pytest.mark.parametrize(
    ("jobs", "skip", "others"),
    [
        ([], False, False),
        ([("READY", OURS)], True, False),  # SPEC §2.2 as before: ours waits, nothing else
        ([("RUNNING", OURS)], False, False),  # finishing: does not count
        ([("RUNNING", "Scanning..."), ("READY", OURS), ("READY", OTHER)], False, True),
        ([("RUNNING", "Scanning..."), ("READY", OTHER), ("READY", OURS)], True, True),
        ([("READY", OURS), ("READY", OTHER), ("READY", OURS)], True, True),
        ([("READY", OTHER), ("READY", OURS), ("READY", "Generating...")], False, True),
        ([("RUNNING", OTHER)], False, False),  # a running job changes nothing after us
    ],
)
def test_the_wake_up_decision_from_the_job_list(
    jobs: list[tuple[str, str]], skip: bool, others: bool
) -> None:
    assert our_job_waits_last(_jobs(*jobs)) is skip
    assert others_waiting(_jobs(*jobs)) is others
