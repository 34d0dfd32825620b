"""Shared pieces of the scheduler tests: clock constants, a warning sink, a result stand-in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciliation.scheduler import STATE_FILENAME

T0 = 1_800_000_000.0  # an arbitrary epoch, far from 0
HOUR = 3600.0
DAY = 86400.0


class Warnings(list):
    """Collects warnings; callable like the scheduler's `warn`."""

    def __call__(self, message: str) -> None:
        self.append(message)


@dataclasses.dataclass
class FakeResult:
    """Shaped like the engine's GapDetectionResult (only what record_run reads)."""

    empty_metadata_count: int = 1
    stale_sync_count: int = 2
    missing_count: int = 3
    total_gaps: int = 6
    enqueued_count: int = 5
    scenes_checked: int = 100
    errors: list[str] = dataclasses.field(default_factory=list)


def write_state(tmp_path: Path, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    (tmp_path / STATE_FILENAME).write_bytes(data)


def stray_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name != STATE_FILENAME)
