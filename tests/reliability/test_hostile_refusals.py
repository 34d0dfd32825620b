"""Plex refusing one item's edit, or every edit of a token that can only read (issue 15).

A 403 on one field of one item fails only that field: the scene's other fields land, every
other scene is in step, the run goes on, and the refused value is not sent again until Retry
Failed. A 500 on it is transient (retried, nothing failed). A read-only token stops the run
after `READ_ONLY_STREAK` scenes with one line, failing and remembering nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from demo.check import item_problems
from sandbox.httpd import RequestRecord
from sandbox.secrets import distinctive
from sync_queue.sync_state import SyncStateStore
from tests.reliability.integrity import failed_ids, wrongly_failed
from tests.reliability.outage_support import assert_one_outage_line, attempts_spent, queue_rows
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from worker.refusal_streak import READ_ONLY_STREAK

EDIT = "PUT /library/sections/{id}/all"
UPLOADS = ("POST /library/metadata/{rk}/posters", "POST /library/metadata/{rk}/arts")
FIELD = "studio"


def _victim(world: ChaosWorld) -> tuple[int, int]:
    """A matchable scene with one Plex item whose studio the sync must change: (scene id,
    ratingKey)."""
    truth = world.generated.truth
    for sid in world.matchable():
        targets = truth.scenes[sid].targets
        if len(targets) != 1:
            continue
        rk = targets[0][1]
        problems = item_problems(world.plex.library.items[rk], world.generated, sid)
        if any(f"{FIELD} is" in p for p in problems):
            return sid, rk
    raise AssertionError("the generated library has no scene whose studio needs a write")


def _touching(records: list[RequestRecord], rating_key: int, name: str) -> list[RequestRecord]:
    """Edit PUTs of `rating_key` carrying `name` (a value or its lock)."""
    return [
        r
        for r in records
        if r.route == EDIT
        and str(rating_key) in dict(r.query).get("id", "").split(",")
        and any(k.split(".")[0] == name for k, _ in r.query)
    ]


def test_one_field_refused_on_one_item_fails_only_that_field(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    world = chaos_world(scenes=30, seed=151)
    world.sandbox.configure_plugin(debug_logging=True)
    sid, rk = _victim(world)
    world.plex.refuse_edits = {(rk, FIELD): 403}
    tally.area = "hostile"
    tally.scenario = "Plex refuses the studio edit of one item with 403; 30-scene Sync All"

    run = world.run("sync_all")
    assert run.exit_code == 0 and run.error is None, run.stderr[-3000:]
    assert failed_ids(world.data_dir) & set(world.matchable()) == {sid}
    refused = _touching(world.plex.log.records, rk, FIELD)
    tally.faults = len([r for r in refused if r.status == 403])
    # The whole edit, then the studio alone (the other fields alone were accepted).
    assert [r.status for r in refused] == [403, 403], refused
    scene = re.compile(rf"^\[debug\] Scene {sid}( \"[^\n]*\")?: failed, refused by Plex: ")
    (line,) = [m for m in run.messages() if scene.match(m)]
    assert f"{FIELD} edit of item {rk} (403 Forbidden)" in line, line
    assert "other fields were written" in line and world.plex.token not in line, line
    problems = item_problems(world.plex.library.items[rk], world.generated, sid)
    assert problems and all(FIELD in p for p in problems), problems
    world.measure(tally, scenes=set(world.matchable()) - {sid})
    assert tally.clean, tally.summary()

    # The next run reads the item but does not send the refused value again.
    world.plex.log.clear()
    again = world.run("sync_all")
    assert again.exit_code == 0 and again.error is None, again.stderr[-3000:]
    assert _touching(world.plex.log.records, rk, FIELD) == []
    assert world.plex.log.count(EDIT) == 0  # everything else was already in step
    (line,) = [m for m in again.messages() if scene.match(m)]
    assert "refused before (403 Forbidden)" in line and "Retry Failed" in line, line

    # Retry Failed forgets the refusal: the value is sent once more.
    world.plex.log.clear()
    retried = world.run("retry_failed")
    assert retried.exit_code == 0 and retried.output["wake"] == "requested"
    assert world.stash.wait_idle(120)  # the worker it woke, queued as a Stash job
    assert [r.status for r in _touching(world.plex.log.records, rk, FIELD)] == [403]
    assert failed_ids(world.data_dir) & set(world.matchable()) == {sid}


def test_a_500_on_one_field_is_transient_and_fails_no_scene(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    # One request at a time: a 500 amid parallel requests is sent again (plex/pacing.py),
    # which this scenario's count of one request would not allow.
    world = chaos_world(scenes=30, seed=152, plex_parallel_writes=1)
    sid, rk = _victim(world)
    world.plex.refuse_edits = {(rk, FIELD): 500}
    tally.area = "hostile"
    tally.scenario = "Plex answers 500 to the studio edit of one item; 30-scene Sync All"

    run = world.run("sync_all")
    assert run.exit_code == 0 and run.error is None, run.stderr[-3000:]
    tally.faults = len(_touching(world.plex.log.records, rk, FIELD))
    assert tally.faults == 1  # no field-by-field split for a transient answer
    assert (
        not failed_ids(world.data_dir) & set(world.matchable())
        and wrongly_failed(world.data_dir) == []
    )
    assert queue_rows(world)[sid].attempts == 1  # retried with backoff
    with SyncStateStore(world.data_dir) as state:
        assert state.refusals([sid]) == {}
    world.measure(tally, expect_queued=[sid])
    assert tally.clean, tally.summary()


def test_a_read_only_token_stops_the_run_after_a_few_scenes(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    # One request at a time: the request accounting below is a sequential run's (in parallel
    # the scenes in flight when the streak trips finish too; tests/sync/test_parallel.py).
    world = chaos_world(scenes=30, seed=153, plex_parallel_writes=1)
    token = distinctive("PlexReadOnlyToken")
    world.plex.add_read_only_token(token)
    world.sandbox.configure_plugin(plex_token=token)
    tally.area = "hostile"
    tally.scenario = "a Plex token that can read but not write; 30-scene Sync All"

    run = world.run("sync_all")
    tally.faults = sum(1 for r in world.plex.log.records if r.status == 403)
    assert_one_outage_line(run, "can read but not write")
    writes = [r for r in world.plex.log.records if r.method != "GET"]
    assert writes and all(r.status == 403 for r in writes)
    keys = {dict(r.query).get("id") if r.route == EDIT else r.path.split("/")[3] for r in writes}
    # Each refused write costs one read of its item (the probe): the token still reads.
    probes = [r for r in world.plex.log.records if r.route == "GET /library/metadata/{keys}"]
    assert all(r.status == 200 for r in probes) and len(probes) > len(writes)
    assert READ_ONLY_STREAK <= len(keys) <= 2 * READ_ONLY_STREAK, keys
    # Not the scenes' fault: nothing failed, no attempt spent, no refusal remembered.
    assert not failed_ids(world.data_dir) & set(world.matchable()) and attempts_spent(world) == {}
    assert set(queue_rows(world)) >= set(world.matchable())
    with SyncStateStore(world.data_dir) as state:
        assert state.refusals(world.matchable()) == {}
