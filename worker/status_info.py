"""The queue part of View Status: counts, scenes waiting, retried and failed by reason,
circuit, last worker run.

Read-only over the data folder (no lock, no Stash or Plex call); `queue_lines` renders the
one-screen text the task logs, in the words of `runtime.voice` (reasons stored by earlier
versions are read through `base.status.read_status`): the queued and failed scenes by
reason as they are now, and the last run's counts with the scenes it did not push.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from base.status import SceneStatus, read_status
from runtime import voice
from runtime.circuit import Circuit
from runtime.wakeup import read_marker
from sync_queue.inbox import Inbox
from sync_queue.jobs import FailedEntry, WorkItem
from sync_queue.workqueue import WorkQueue
from worker.summary import (
    FAILED,
    NOT_IN_PLEX,
    NOT_PUSHED,
    RETRYING,
    WAITING,
    add_to_groups,
    fate_lines,
    read_last_run,
)

__all__ = ["FAILED_SHOWN", "queue_lines", "queue_status"]

FAILED_SHOWN = 10


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def queue_status(data_dir: Path, now: float | None = None) -> dict[str, object]:
    """The queue section of the status document."""
    now = time.time() if now is None else now
    with Inbox(data_dir) as inbox:
        inbox_pending = inbox.pending_count()
        inbox_due = inbox.has_due(now)
        inbox_next = inbox.next_due_at()
    with WorkQueue(data_dir) as queue:
        counts = queue.counts(now)
        next_due = queue.next_due_at()
        failed = queue.failed.list()
        items = queue.items()
    circuit = Circuit(data_dir).state()
    marker = read_marker(data_dir)
    return {
        "queued": counts.queued,
        "due": counts.due,
        "in_flight": counts.processing,
        "failed": counts.failed,
        "recorded_not_yet_queued": inbox_pending,
        "due_work": counts.due > 0 or inbox_due,
        "next_due": _when(min((t for t in (next_due, inbox_next) if t is not None), default=None)),
        "failed_recent": [
            {
                "scene_id": entry.scene_id,
                "reason_class": entry.reason_class,
                "reason": _words(entry.reason_class),
                "message": entry.message[:300],
                "attempts": entry.attempts,
                "last_failed": _when(entry.last_failed_at),
            }
            for entry in failed[:FAILED_SHOWN]
        ],
        "by_reason": _by_reason(items, failed),
        "circuit": {
            "open": circuit.is_open,
            "reason_class": circuit.reason_class,
            "message": circuit.message,
            "opened": _when(circuit.opened_at) if circuit.is_open else None,
            "failures": circuit.failures,
        },
        "wake_marker": None if marker is None else {"state": marker[0], "at": _when(marker[1])},
        "last_run": read_last_run(data_dir),
    }


def _by_reason(items: Iterable[WorkItem], failed: Iterable[FailedEntry]) -> list[dict[str, object]]:
    """Queued scenes waiting or to be retried, and the failed list, grouped by fate and
    reason (the `RunSummary.not_synced` shape; examples are scene ids)."""
    groups: list[dict[str, object]] = []

    def add(fate: str, stored: str | None, scene_id: int) -> None:
        status = read_status(stored) or SceneStatus.UNEXPECTED
        add_to_groups(groups, fate, status, {"id": scene_id, "title": ""})

    for item in items:
        if item.wait_reason:
            add(WAITING, item.wait_reason, item.scene_id)
        elif item.attempts and item.last_error_class:
            add(RETRYING, item.last_error_class, item.scene_id)
    for entry in failed:
        add(FAILED, entry.reason_class, entry.scene_id)
    return groups


def _words(stored: object) -> str:
    status = read_status(stored)
    return status.phrase if status is not None else "unknown reason"


def queue_lines(queue: Mapping[str, object]) -> list[tuple[str, str]]:
    """(level, line) pairs of the queue section: counts, the circuit, the queued and failed
    scenes by reason with one fix per reason, and the last run's counts with the scenes it
    did not push (a fix already given is not repeated)."""
    lines = [
        (
            "info",
            f"Queue: {queue['queued']} queued ({queue['due']} due), {queue['in_flight']} in "
            f"flight, {queue['recorded_not_yet_queued']} recorded not yet queued, "
            f"{queue['failed']} failed; next due: {queue['next_due'] or '-'}",
        )
    ]
    circuit = queue["circuit"]
    if isinstance(circuit, dict) and circuit.get("open"):
        detail = voice.lead(_words(circuit.get("reason_class")), str(circuit.get("message") or ""))
        lines.append(
            (
                "warning",
                f"Plex circuit open since {circuit['opened']}: {detail}; the queue waits until "
                "Plex answers again",
            )
        )
    fixed: set[SceneStatus] = set()
    by_reason = queue.get("by_reason")
    if isinstance(by_reason, list):
        lines += fate_lines(by_reason, fixed=fixed, prefix="Queue: ")
    last = queue.get("last_run")
    if isinstance(last, dict):
        finished = last.get("finished_at")
        when = _when(float(finished)) if isinstance(finished, (int, float)) else "?"
        lines.append(
            (
                "info",
                f"Last run ({last.get('task') or 'worker'}, {when}): {last.get('synced', 0)} "
                f"synced, {last.get('unchanged', 0)} unchanged, {last.get('not_pushed', 0)} not "
                f"pushed, {last.get('waiting', 0)} waiting, {last.get('retried', 0)} retried, "
                f"{last.get('failed', 0)} failed; stopped: {last.get('stopped', '?')}",
            )
        )
        groups = last.get("not_synced")
        if isinstance(groups, list):
            # Its waiting, retried and failed scenes are the queue's, told above as they are
            # now; the scenes it did not push are kept nowhere else.
            kept = (NOT_PUSHED, NOT_IN_PLEX)
            skipped = [g for g in groups if isinstance(g, dict) and g.get("fate") in kept]
            lines += fate_lines(skipped, fixed=fixed, prefix="Last run: ")
    return [(level, voice.line(text)) for level, text in lines]
