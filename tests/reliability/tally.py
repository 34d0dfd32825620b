"""What one reliability scenario measured: runs, faults injected, jobs lost, wrong writes, leaks.

Tests fill a `Tally` and assert on it; with `STASH2PLEX_CHAOS_RESULTS` set (by `make chaos`)
each one is also appended as a JSON line, from which `tests.reliability.report` builds the table.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_ENV = "STASH2PLEX_CHAOS_RESULTS"


@dataclass
class Tally:
    """One scenario's numbers; `lost`, `wrong` and `leaks` must end at zero."""

    area: str  # crash | outage | concurrency | hostile | secrets
    scenario: str
    runs: int = 0  # plugin processes (or in-process runs) whose output the leak guard read
    faults: int = 0  # kills, outages, hostile inputs injected
    lost: int = 0  # jobs lost or wrongly failed
    wrong: int = 0  # Plex writes that should not have happened (or wrote the wrong value)
    leaks: int = 0  # registered secrets found in any output or file
    details: list[str] = field(default_factory=list)  # what made any of the three non-zero

    def add_lost(self, problems: list[str]) -> None:
        self.lost += len(problems)
        self.details += [f"lost: {p}" for p in problems[:20]]

    def add_wrong(self, problems: list[str]) -> None:
        self.wrong += len(problems)
        self.details += [f"wrong: {p}" for p in problems[:20]]

    def add_leaks(self, problems: list[str]) -> None:
        self.leaks += len(problems)
        self.details += [f"leak: {p}" for p in problems[:20]]

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.wrong == 0 and self.leaks == 0

    def summary(self) -> str:
        return (
            f"{self.scenario}: {self.runs} runs, {self.faults} faults, {self.lost} lost, "
            f"{self.wrong} wrong writes, {self.leaks} leaks"
            + ("".join(f"\n  {d}" for d in self.details[:30]))
        )


def results_path() -> Path | None:
    raw = os.environ.get(RESULTS_ENV)
    return Path(raw) if raw else None


def append_result(tally: Tally, passed: bool) -> None:
    """One JSON line per finished scenario (no-op outside `make chaos`)."""
    path = results_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {**asdict(tally), "passed": passed}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def read_results(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
