"""The queue part of View Status: counts, failed list, circuit, last worker run.

Read-only over the data folder (no lock, no Stash or Plex call); `queue_lines` renders the
one-screen text the task logs.
"""

from __future__ import annotations

import time
from pathlib import Path

from runtime.circuit import Circuit
from runtime.wakeup import read_marker
from sync_queue.inbox import Inbox
from sync_queue.workqueue import WorkQueue
from worker.summary import read_last_run

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
        failed = queue.failed.list(FAILED_SHOWN)
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
                "message": entry.message[:300],
                "attempts": entry.attempts,
                "last_failed": _when(entry.last_failed_at),
            }
            for entry in failed
        ],
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


def queue_lines(queue: dict[str, object]) -> list[tuple[str, str]]:
    """(level, line) pairs of the queue section."""
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
        lines.append(
            (
                "warning",
                f"Plex circuit open since {circuit['opened']} ({circuit['reason_class']}: "
                f"{circuit['message']}); the queue waits until Plex answers again",
            )
        )
    failed = queue.get("failed_recent")
    for entry in failed if isinstance(failed, list) else []:
        lines.append(
            (
                "info",
                f"Failed scene {entry['scene_id']} ({entry['attempts']} attempts, last "
                f"{entry['last_failed']}): {entry['reason_class']}: {entry['message']}",
            )
        )
    last = queue.get("last_run")
    if isinstance(last, dict):
        finished = last.get("finished_at")
        when = _when(float(finished)) if isinstance(finished, (int, float)) else "?"
        lines.append(
            (
                "info",
                f"Last run ({last.get('task') or 'worker'}, {when}): {last.get('synced', 0)} "
                f"synced, {last.get('unchanged', 0)} unchanged, {last.get('waiting', 0)} "
                f"waiting, {last.get('retried', 0)} retried, {last.get('failed', 0)} failed; "
                f"stopped: {last.get('stopped', '?')}",
            )
        )
    return lines
