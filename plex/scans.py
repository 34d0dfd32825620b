"""Partial scans of folders Plex has not indexed yet (SPEC §2.5): grouped, debounced, remembered.

A scene whose file lies inside a configured section but is missing from the path index gets
its folder scanned (`GET /library/sections/{id}/refresh?path=<folder in Plex's syntax>`), at
most once per (section, folder) per 10 minutes, remembered across runs in `plex_scans.json`
in the data folder (only the worker writes it, under the worker lock). Folders outside every
section are never sent: the matcher reports those scenes as "outside your Plex libraries".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from base.fileio import atomic_write_bytes

__all__ = ["SCANS_FILE", "SCAN_DEBOUNCE_S", "ScanClient", "ScanLedger", "ScanReport"]

SCAN_DEBOUNCE_S = 600.0  # SPEC §2.5: at most once per folder per 10 minutes
SCANS_FILE = "plex_scans.json"

_log = logging.getLogger(__name__)

Folder = tuple[int, str]  # (section id, folder in Plex's own path syntax)


class ScanClient(Protocol):
    def scan_folder(self, section_id: int, plex_folder: str) -> None: ...


@dataclass
class ScanReport:
    """What one `request` call did."""

    requested: list[Folder] = field(default_factory=list)
    recent: list[Folder] = field(default_factory=list)  # asked less than 10 minutes ago


def _key(folder: Folder) -> str:
    return f"{int(folder[0])}\t{folder[1]}"


class ScanLedger:
    """When each folder was last sent to Plex for scanning (epoch seconds, our clock)."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        debounce_s: float = SCAN_DEBOUNCE_S,
    ) -> None:
        self.path = Path(data_dir) / SCANS_FILE
        self._clock = clock
        self.debounce_s = debounce_s
        self._asked = self._load()

    def _load(self) -> dict[str, float]:
        try:
            raw = json.loads(self.path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A cache of recent requests: losing it costs at most one extra scan per folder.
            _log.debug("ignoring unreadable %s: %s", SCANS_FILE, exc)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            str(k): float(v)
            for k, v in raw.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }

    def last_asked(self, folder: Folder) -> float | None:
        return self._asked.get(_key(folder))

    def is_due(self, folder: Folder) -> bool:
        """True unless the folder was sent less than `debounce_s` ago (a clock that went
        backwards counts as due)."""
        last = self.last_asked(folder)
        now = self._clock()
        return last is None or now < last or now - last >= self.debounce_s

    def request(self, client: ScanClient, folders: Iterable[Folder]) -> ScanReport:
        """Send each distinct due folder once; persist after every successful request.

        Client errors propagate (a failed scan request is not remembered, so it is retried).
        """
        report = ScanReport()
        for folder in dict.fromkeys((int(s), f) for s, f in folders):
            if not self.is_due(folder):
                report.recent.append(folder)
                continue
            client.scan_folder(folder[0], folder[1])
            self._asked[_key(folder)] = self._clock()
            report.requested.append(folder)
            self._save()
        return report

    def _save(self) -> None:
        now = self._clock()
        # Entries older than the debounce window decide nothing any more.
        self._asked = {k: t for k, t in self._asked.items() if 0 <= now - t < self.debounce_s}
        data = json.dumps(self._asked, ensure_ascii=False, sort_keys=True).encode("utf-8")
        try:
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            _log.warning("Could not remember Plex scan requests in %s: %s", SCANS_FILE, exc)
