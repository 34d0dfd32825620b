"""What the demo measures and prints: library snapshots, task outputs, queue and request counts.

Reads the emulators' libraries and request logs, the harness's recorded runs and the data
folder; writes nothing. `demo/run.py` decides what to show when.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.check import ItemCheck, check_library, problem_scenes
from sandbox.harness import PluginRun
from sandbox.model import PlexItem
from sandbox.world import Sandbox

__all__ = [
    "WORKER_COUNTERS",
    "Snapshot",
    "failure_breakdown",
    "fmt_counts",
    "queue_reasons",
    "say",
    "snapshot",
    "worker_totals",
]

WORKER_COUNTERS = ("synced", "unchanged", "not_pushed", "waiting", "retried", "failed")
# Why a scene of each generator item state can still be out of step after the demo.
_STATE_NOTES = {
    "foreign": "matched, never synced, someone else's metadata: no gap type covers it (SPEC §3)",
}


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fmt_counts(counts: Mapping[str, int]) -> str:
    """'a 3, b 1' in decreasing order of count; '' for nothing."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{name} {count:,}" for name, count in ordered if count)


def has_metadata(item: PlexItem) -> bool:
    """plex.md §7's signals: a summary, studio or date, or any genre/actor/collection."""
    if item.summary or item.studio or item.originally_available_at:
        return True
    return any(item.tags.get(kind) for kind in ("genre", "actor", "collection"))


@dataclass
class Snapshot:
    """The library at one moment, as the before/after table shows it."""

    items: int
    with_metadata: int
    sync_records: int
    check: ItemCheck
    out_of_step: set[int] = field(default_factory=set)  # matchable scenes differing in Plex

    @property
    def in_step(self) -> int:
        return self.check.scenes - len(self.out_of_step)


def snapshot(world: Sandbox, data_dir: Path) -> Snapshot:
    from sync_queue.sync_state import load_sync_timestamps

    plex = world.plex.library
    with plex.lock:
        items = list(plex.items.values())
        check = check_library(world.generated, plex)
    bad = problem_scenes(check.problems)  # one scene may have several problems
    return Snapshot(
        items=len(items),
        with_metadata=sum(1 for item in items if has_metadata(item)),
        sync_records=len(load_sync_timestamps(data_dir)),
        check=check,
        out_of_step=bad,
    )


def worker_totals(runs: Iterable[PluginRun]) -> Counter[str]:
    """The outcome counters of every worker run, added up."""
    totals: Counter[str] = Counter({name: 0 for name in WORKER_COUNTERS})
    for run in runs:
        output: Any = run.output
        if isinstance(output, dict):
            for name in WORKER_COUNTERS:
                totals[name] += int(output.get(name, 0) or 0)
    return totals


def queue_reasons(data_dir: Path) -> tuple[Counter[str], Counter[str]]:
    """(scenes still queued by wait or retry reason, failed list by reason), in words."""
    from sync_queue.queuedb import FailedList
    from sync_queue.workqueue import WorkQueue

    queue = WorkQueue(data_dir)
    try:
        waiting = Counter(
            _words(item.wait_reason or item.last_error_class) for item in queue.items()
        )
    finally:
        queue.close()
    failed_list = FailedList(data_dir)
    try:
        failed = Counter(_words(entry.reason_class) for entry in failed_list.list())
    finally:
        failed_list.close()
    return waiting, failed


def _words(stored: str | None) -> str:
    from base.status import read_status

    status = read_status(stored)
    return "queued" if status is None else status.phrase


def failure_breakdown(world: Sandbox, scene_ids: Iterable[int]) -> list[str]:
    """One line per generator item state of the scenes still out of step, with why if known."""
    truth = world.generated.truth
    states = Counter(truth.scenes[sid].plex_state or "unknown" for sid in scene_ids)
    lines = []
    for state, count in sorted(states.items(), key=lambda kv: -kv[1]):
        note = _STATE_NOTES.get(state)
        lines.append(
            f"  {count:,} scene(s) whose item was {state!r}" + (f": {note}" if note else "")
        )
    return lines
