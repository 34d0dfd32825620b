"""The one-screen summary of a worker run: counters, why it stopped, and where it is kept.

The summary is logged as a few info lines, returned as the task's JSON output, and saved
as `last_run.json` in the data folder for View Status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from worker import outcomes as oc

__all__ = [
    "LAST_RUN_FILE",
    "STOP_ANOTHER_WORKER",
    "STOP_BLOCKED",
    "STOP_CIRCUIT_OPEN",
    "STOP_DONE",
    "STOP_PAUSED",
    "STOP_STASH_UNAVAILABLE",
    "STOP_TIME_SLICE",
    "RunSummary",
    "read_last_run",
    "save_last_run",
]

LAST_RUN_FILE = "last_run.json"

STOP_DONE = "done"  # no due work left
STOP_TIME_SLICE = "time slice"  # handed Stash's job queue back; continuation requested
STOP_BLOCKED = "blocked"  # Plex unreachable or token rejected mid-run: circuit opened
STOP_CIRCUIT_OPEN = "circuit open"  # Plex still unreachable at start: nothing touched
STOP_STASH_UNAVAILABLE = "stash unavailable"  # the batch fetch failed: batch released
STOP_PAUSED = "paused"  # the `paused` setting: work recorded, nothing pushed
STOP_ANOTHER_WORKER = "another worker is running"


@dataclass
class RunSummary:
    """Counters of one run. `remaining` = queue rows left (any due time), `due_remaining`
    = of those, due now; `requests` = Stash requests after connecting plus Plex requests."""

    task: str = ""
    synced: int = 0
    unchanged: int = 0
    waiting: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    reruns: int = 0
    dropped: int = 0  # scenes Stash no longer has
    destroyed: int = 0  # Scene.Destroy.Post rows applied
    entity_changes: int = 0  # performer/studio/tag/group rows expanded into scenes
    entity_scenes: int = 0  # scenes queued for them
    entity_requests: int = 0  # findScenes pages the expansion fetched
    enqueued: int = 0  # added by the task itself (Sync All / Sync Recent)
    resumed: int = 0  # in flight when an earlier worker died, put back
    batches: int = 0
    remaining: int = 0
    due_remaining: int = 0
    stash_requests: int = 0
    plex_requests: int = 0
    duration_s: float = 0.0
    stopped: str = STOP_DONE
    reason: str = ""
    continuation: str = ""
    failures: list[str] = field(default_factory=list)  # a few "scene N: class: message"

    @property
    def processed(self) -> int:
        return self.synced + self.unchanged + self.waiting + self.retried + self.failed

    @property
    def requests(self) -> int:
        return self.stash_requests + self.plex_requests

    def add_expansion(self, entities: int, requests: int, scene_ids: list[int]) -> None:
        self.entity_changes += entities
        self.entity_requests += requests
        self.entity_scenes += len(scene_ids)

    def count(self, action: oc.Action) -> None:
        name = action.name
        if name in (oc.DONE, oc.RERUN):
            if action.outcome.kind == oc.SYNCED:
                self.synced += 1
            else:
                self.unchanged += 1
            self.reruns += name == oc.RERUN
        elif name == oc.RETRIED:
            self.retried += 1
        elif name == oc.WAITING:
            self.waiting += 1
        elif name == oc.FAILED_ACTION:
            self.failed += 1
            if len(self.failures) < 10:
                outcome = action.outcome
                self.failures.append(
                    f"scene {action.scene_id}: {outcome.reason_class}: {outcome.message}"[:300]
                )
        elif name == oc.RELEASED:
            self.released += 1

    def lines(self) -> list[str]:
        """The one-screen summary as log lines."""
        head = (
            f"{self.task or 'Queue run'}: {self.synced} synced, {self.unchanged} unchanged, "
            f"{self.waiting} waiting, {self.retried} retried, {self.failed} failed; "
            f"{self.remaining} remaining ({self.due_remaining} due); "
            f"{self.requests} requests (Stash {self.stash_requests}, Plex {self.plex_requests}); "
            f"{self.duration_s:.1f} s"
        )
        lines = [head]
        extras = [
            f"{label} {value}"
            for label, value in (
                ("enqueued", self.enqueued),
                ("edited during processing (ran again)", self.reruns),
                ("gone from Stash", self.dropped),
                ("deleted in Stash", self.destroyed),
                ("entity changes expanded", self.entity_changes),
                ("scenes queued for them", self.entity_scenes),
                ("resumed after an interrupted run", self.resumed),
                ("released untouched", self.released),
            )
            if value
        ]
        if extras:
            lines.append("Also: " + ", ".join(extras))
        if self.stopped != STOP_DONE:
            why = f" ({self.reason})" if self.reason else ""
            then = f"; continuation: {self.continuation}" if self.continuation else ""
            lines.append(f"Stopped: {self.stopped}{why}{then}")
        lines.extend(f"Failed: {line}" for line in self.failures[:5])
        return lines

    def as_output(self) -> dict[str, object]:
        output = asdict(self)
        output["processed"] = self.processed
        output["requests"] = self.requests
        output["duration_s"] = round(self.duration_s, 3)
        return output


def save_last_run(
    data_dir: Path,
    summary: RunSummary,
    now: float | None = None,
    redact: Callable[[object], object] | None = None,
) -> None:
    from base.fileio import atomic_write_bytes

    document: object = {"finished_at": time.time() if now is None else now, **summary.as_output()}
    if redact is not None:
        document = redact(document)
    atomic_write_bytes(Path(data_dir) / LAST_RUN_FILE, json.dumps(document).encode("utf-8"))


def read_last_run(data_dir: Path) -> dict[str, object] | None:
    try:
        document = json.loads((Path(data_dir) / LAST_RUN_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None
