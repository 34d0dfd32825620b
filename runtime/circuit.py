"""The Plex circuit breaker, persisted in the data folder (`circuit.json`).

Standard library only, and no dataclasses: hooks read it to decide whether waking the
worker is worth it. A `blocked` outcome (Plex unreachable, timing out, or the token
rejected) opens the circuit with its reason; while open, a worker run first probes Plex
with the step's cheap `health_check()`: success closes it, failure records the probe and
ends the run without touching a job (and without asking for its own continuation).
Hooks skip the wake-up while a probe failed less than `PROBE_INTERVAL_S` ago, so a burst
of edits while Plex is down does not start a worker per edit; the work stays recorded.
A missing or unreadable file means closed (the next blocked outcome reopens it).
"""

from __future__ import annotations

import json
import os
import time

from base.record import Record

__all__ = ["CIRCUIT_FILE", "PROBE_INTERVAL_S", "Circuit", "CircuitState"]

CIRCUIT_FILE = "circuit.json"
PROBE_INTERVAL_S = 60.0


class CircuitState(Record):
    """`is_open` with why (`reason_class`, `message`), since when, last probe, failure count."""

    __slots__ = ("failures", "is_open", "last_probe_at", "message", "opened_at", "reason_class")

    def __init__(
        self,
        is_open: bool = False,
        reason_class: str = "",
        message: str = "",
        opened_at: float = 0.0,
        last_probe_at: float = 0.0,
        failures: int = 0,
    ) -> None:
        self.is_open = is_open
        self.reason_class = reason_class
        self.message = message
        self.opened_at = opened_at
        self.last_probe_at = last_probe_at
        self.failures = failures

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self._field_names()}


class Circuit:
    """The circuit file of a data folder. Every call reads the file afresh."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = os.path.join(os.fspath(data_dir), CIRCUIT_FILE)

    def state(self) -> CircuitState:
        try:
            with open(self.path, "rb") as handle:
                raw = json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return CircuitState()
        if not isinstance(raw, dict) or raw.get("is_open") is not True:
            return CircuitState()
        try:
            return CircuitState(
                True,
                str(raw.get("reason_class") or ""),
                str(raw.get("message") or ""),
                float(raw.get("opened_at") or 0.0),
                float(raw.get("last_probe_at") or 0.0),
                int(raw.get("failures") or 0),
            )
        except (TypeError, ValueError):
            return CircuitState(True)

    def is_open(self) -> bool:
        return self.state().is_open

    def open(self, reason_class: str, message: str, now: float | None = None) -> CircuitState:
        """Open (or keep open) with this reason; the time of the probe that failed is now."""
        now = time.time() if now is None else now
        old = self.state()
        state = CircuitState(
            True,
            reason_class,
            message[:500],
            old.opened_at if old.is_open else now,
            now,
            old.failures + 1,
        )
        self._write(state)
        return state

    def close(self) -> bool:
        """Close it; True when it was open."""
        was_open = self.is_open()
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass
        return was_open

    def wake_allowed(self, now: float | None = None) -> bool:
        """False while open and the last failed probe is younger than PROBE_INTERVAL_S."""
        state = self.state()
        if not state.is_open:
            return True
        now = time.time() if now is None else now
        age = now - state.last_probe_at
        return not (0.0 <= age < PROBE_INTERVAL_S)

    def _write(self, state: CircuitState) -> None:
        from pathlib import Path

        from base.fileio import atomic_write_bytes

        payload = json.dumps(state.as_dict(), sort_keys=True).encode("utf-8")
        atomic_write_bytes(Path(self.path), payload)
