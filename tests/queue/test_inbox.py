"""The hook inbox: collapsing, the bulk rule, draining into the worker's queue without loss,
the wake-up query, standard-library-only imports, and 20 concurrent writer processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.httpd import wait_until
from sync_queue.inbox import BULK_WINDOW_S, Inbox, InboxRow, bulk_signature
from tests.queue.memqueue import MemWorkQueue

from .conftest import T0

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def inbox(tmp_path: Path):
    with Inbox(tmp_path) as box:
        yield box


def pending(box: Inbox) -> list[tuple[str, int]]:
    return [(row.kind, row.ref_id) for row in box.rows()]


# --- recording --------------------------------------------------------------------------------


def test_record_collapses_per_kind_and_id(inbox: Inbox) -> None:
    assert inbox.record("scene", [1, 2, "3"], "Scene.Update.Post", now=T0) == 3
    assert inbox.record("scene", [3, 4], "Scene.Update.Post", now=T0 + 1) == 1
    assert inbox.record("performer", [3], "Performer.Update.Post", now=T0 + 1) == 1
    assert pending(inbox) == [
        ("scene", 1),
        ("scene", 2),
        ("scene", 3),
        ("scene", 4),
        ("performer", 3),
    ]
    assert inbox.pending_count() == 5
    assert inbox.pending_ids("scene") == {1, 2, 3, 4}


def test_earlier_ready_at_wins_and_collapse_bumps_the_version(inbox: Inbox) -> None:
    inbox.record("scene", [1], "retry", ready_at=T0 + 100, now=T0)
    inbox.record("scene", [1], "hook", ready_at=T0 + 10, now=T0)
    inbox.record("scene", [1], "hook", ready_at=T0 + 50, now=T0)
    [row] = inbox.rows()
    assert (row.ready_at, row.version, row.reason) == (T0 + 10, 2, "retry")


def test_payloads_collapse_to_null_when_they_disagree(inbox: Inbox) -> None:
    fields = json.dumps(["name"])
    inbox.record("performer", [5, 6], "Performer.Update.Post", now=T0, payload=fields)
    inbox.record("performer", [5], "Performer.Update.Post", now=T0, payload=fields)
    inbox.record("performer", [6], "Performer.Update.Post", now=T0, payload='["image"]')
    payloads = {row.ref_id: row.payload for row in inbox.rows()}
    assert payloads == {5: fields, 6: None}


def test_scene_destroy_supersedes_pending_scene_work(inbox: Inbox) -> None:
    inbox.record("scene", [1, 2], "Scene.Update.Post", now=T0)
    inbox.record("scene_destroy", [2], "Scene.Destroy.Post", now=T0)
    inbox.record("scene", [2], "Scene.Create.Post", now=T0)  # a reused id, created again
    assert pending(inbox) == [("scene", 1), ("scene_destroy", 2), ("scene", 2)]
    assert inbox.drop("scene", [1, 99]) == 1
    assert pending(inbox) == [("scene_destroy", 2), ("scene", 2)]


@pytest.mark.parametrize(
    ("kind", "ids"),
    [
        ("Scene", [1]),
        ("", [1]),
        ("scène", [1]),
        ("scene", [0]),
        ("scene", [-3]),
        ("scene", [True]),
        ("scene", ["x1"]),
        ("scene", [1.5]),
        ("scene", "12"),
    ],
)
def test_malformed_input_is_refused_whole(inbox: Inbox, kind: str, ids: object) -> None:
    with pytest.raises(ValueError):
        inbox.record(kind, ids, "hook")  # type: ignore[arg-type]
    assert inbox.pending_count() == 0


# --- the bulk rule ----------------------------------------------------------------------------


def bulk(box: Inbox, ids: list[int], hook_id: int, now: float, input_: object = None) -> int:
    signature = bulk_signature("scene", ids, input_ or {"tag_ids": {"ids": ["7"], "mode": "ADD"}})
    return box.record_bulk("scene", ids, signature, hook_id, now=now)


def test_first_hook_of_a_bulk_records_all_later_hooks_nothing(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    assert [bulk(inbox, ids, hook, T0 + i) for i, hook in enumerate(ids)] == [3, 0, 0]
    assert inbox.pending_ids("scene") == {12, 13, 14}


def test_later_hooks_do_not_rerecord_what_the_worker_already_took(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    bulk(inbox, ids, 12, T0)
    inbox.drain_due(T0, 100, lambda rows: None)  # a running worker took them mid-bulk
    assert bulk(inbox, ids, 13, T0 + 1) == 0
    assert bulk(inbox, ids, 14, T0 + 2) == 0
    assert inbox.pending_count() == 0


def test_a_repeated_identical_bulk_is_recorded_again(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    for i, hook in enumerate(ids):
        bulk(inbox, ids, hook, T0 + i)
    inbox.drain_due(T0 + 3, 100, lambda rows: None)
    assert [bulk(inbox, ids, hook, T0 + 10 + i) for i, hook in enumerate(ids)] == [3, 0, 0]


def test_a_bulk_whose_first_hook_died_is_recorded_by_the_next(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    assert bulk(inbox, ids, 13, T0) == 3  # the hook of 12 never committed
    assert bulk(inbox, ids, 14, T0 + 1) == 0


def test_bulk_signature_expires_after_the_window(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    bulk(inbox, ids, 12, T0)
    inbox.drain_due(T0, 100, lambda rows: None)
    assert bulk(inbox, ids, 13, T0 + BULK_WINDOW_S) == 0  # each hook refreshes the window
    assert bulk(inbox, ids, 14, T0 + 2 * BULK_WINDOW_S) == 0
    assert bulk(inbox, ids, 13, T0 + 3 * BULK_WINDOW_S + 1) == 3


def test_different_bulks_do_not_suppress_each_other(inbox: Inbox) -> None:
    ids = [12, 13, 14]
    bulk(inbox, ids, 12, T0)
    inbox.drain_due(T0, 100, lambda rows: None)
    other = {"rating100": 80}
    assert bulk(inbox, ids, 13, T0 + 1, other) == 3


def test_a_hook_missing_from_its_own_bulk_records_itself(inbox: Inbox) -> None:
    assert bulk(inbox, [12, 13], 99, T0) == 3
    assert bulk(inbox, [12, 13], 98, T0 + 1) == 1


# --- draining ---------------------------------------------------------------------------------


def test_drain_moves_due_rows_in_order_and_deletes_them_after(inbox: Inbox) -> None:
    queue = MemWorkQueue()
    inbox.record("scene", [3, 1], "hook", now=T0)
    inbox.record("scene", [2], "retry", ready_at=T0 + 60, now=T0)
    seen: list[list[int]] = []

    def into(rows: list[InboxRow]) -> None:
        seen.append([row.ref_id for row in rows])
        # Nothing is deleted before the queue has the rows.
        assert inbox.pending_ids("scene") >= {row.ref_id for row in rows}
        queue.add_many((row.ref_id for row in rows), now=T0)

    assert inbox.drain_due(T0, 10, into) == 2
    assert seen == [[3, 1]]
    assert queue.get_queued_scene_ids() == {1, 3}
    assert pending(inbox) == [("scene", 2)]
    assert inbox.drain_due(T0 + 59, 10, into) == 0
    assert inbox.drain_due(T0 + 60, 10, into) == 1


def test_a_failing_into_deletes_nothing(inbox: Inbox) -> None:
    inbox.record("scene", [1, 2], "hook", now=T0)

    def into(rows: list[InboxRow]) -> None:
        raise OSError("queue unavailable")

    with pytest.raises(OSError):
        inbox.drain_due(T0, 10, into)
    assert inbox.pending_ids("scene") == {1, 2}


def test_a_row_recorded_again_while_draining_survives(inbox: Inbox) -> None:
    inbox.record("scene", [1, 2], "hook", now=T0)
    rows = inbox.take_due(T0, 10)
    inbox.record("scene", [2], "hook", now=T0 + 1)  # a hook collapsed into row 2 meanwhile
    assert inbox.delete(rows) == 1
    assert inbox.pending_ids("scene") == {2}


def test_requeue_later_waits_but_never_delays_due_work(inbox: Inbox) -> None:
    assert inbox.requeue_later("scene", [1], T0 + 300, now=T0) == 1
    assert inbox.record("scene", [2], "hook", now=T0) == 1
    assert inbox.requeue_later("scene", [2], T0 + 300, now=T0) == 0
    assert [r.ref_id for r in inbox.take_due(T0, 10)] == [2]
    assert [r.ref_id for r in inbox.take_due(T0 + 300, 10)] == [1, 2]


def test_has_due_counts_inbox_rows_and_the_queues_published_due_time(inbox: Inbox) -> None:
    assert inbox.has_due(T0) is False
    assert inbox.next_due_at() is None
    inbox.record("scene", [1], "retry", ready_at=T0 + 30, now=T0)
    assert inbox.has_due(T0) is False
    assert inbox.has_due(T0 + 30) is True
    inbox.publish_queue_due(T0 + 5)
    assert inbox.has_due(T0 + 5) is True
    assert inbox.next_due_at() == T0 + 5
    inbox.publish_queue_due(None)
    assert inbox.queue_due_at() is None
    assert inbox.has_due(T0 + 29) is False


# --- the hook path ----------------------------------------------------------------------------


def test_importing_the_inbox_loads_only_the_standard_library() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import sync_queue.inbox;"
        "new = sorted(set(sys.modules) - before); print(json.dumps(new))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    new = json.loads(out.stdout)
    ours = {"sync_queue", "sync_queue.db", "sync_queue.inbox"}
    foreign = [m for m in new if m not in ours and m.split(".")[0] not in sys.stdlib_module_names]
    assert foreign == []
    # The expensive standard modules stay out too (each costs a hook several ms).
    assert not {"typing", "dataclasses", "persistqueue", "logging", "contextlib"} & set(new)


@pytest.mark.parametrize("journal", ["auto", "delete"])
def test_twenty_concurrent_writer_processes_lose_nothing(tmp_path: Path, journal: str) -> None:
    data, barrier = tmp_path / "data", tmp_path / "barrier"
    data.mkdir()
    barrier.mkdir()
    writers, count = 20, 25 if journal == "auto" else 8  # rollback commits fsync

    def args(n: int) -> list[str]:
        return [str(n), str(count), journal]

    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.queue.inbox_writer", str(data), str(barrier), *args(n)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(1, writers + 1)
    ]
    try:
        assert wait_until(lambda: len(list(barrier.glob("ready-*"))) == writers, timeout=60)
        (barrier / "go").touch()  # all start writing at once, on a database not yet created
        results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
    failures = "\n".join(err[-1500:] for code, err in results if code or err)
    assert results == [(0, "")] * writers, failures
    expected = {n * 10_000 + i for n in range(1, writers + 1) for i in range(1, count + 1)}
    expected |= {n * 10_000 + 5000 + i for n in range(1, writers + 1) for i in range(1, 6)}
    with Inbox(data) as box:
        assert box.pending_ids("scene") == expected
