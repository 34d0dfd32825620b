"""Decide when automatic reconciliation runs and remember the last runs in a JSON file.

Standard library only and cheap to import: every invocation (hooks included) may ask it.
`decide_run(config, state, now)` is the whole policy as a pure function; the scheduler adds
the persisted `ReconciliationState` (`reconciliation_state.json` in the data folder) around it.
Policy (SPEC §3): `reconcile_interval` = never (default) disables both automatic triggers;
otherwise a due interval run (scope from `reconcile_scope`) wins over the startup run
(scope `recent`), and startup runs never delay interval runs, because interval due-ness is
measured from the last *non-startup* run only. The clock is always passed in (`now`).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields

from base.fileio import atomic_write_bytes

# Not `from typing import TYPE_CHECKING`: importing typing costs the hook path ~5 ms, and type
# checkers honour a module-level constant of this name too.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "INTERVAL_SECONDS",
    "STARTUP_MIN_GAP_S",
    "STATE_FILENAME",
    "ReconciliationScheduler",
    "ReconciliationState",
    "RunDecision",
    "decide_run",
    "interval_due",
    "normalize_interval",
    "scope_for",
    "startup_due",
    "state_from_dict",
    "with_our_fields",
]

STATE_FILENAME = "reconciliation_state.json"
DEFAULT_INTERVAL = "never"
DEFAULT_SCOPE_SETTING = "24h"
STARTUP_SCOPE = "recent"
STARTUP_MIN_GAP_S = 3600.0
INTERVAL_SECONDS: dict[str, float] = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0}
# Setting value -> engine scope; engine scope names are accepted as themselves too.
_SCOPES: dict[str, str] = {
    "all": "all",
    "24h": "recent",
    "7days": "recent_7days",
    "recent": "recent",
    "recent_7days": "recent_7days",
}
_COUNT_KEYS: tuple[tuple[str, str], ...] = (
    ("empty_metadata", "empty_metadata_count"),
    ("stale_sync", "stale_sync_count"),
    ("missing", "missing_count"),
    ("drift", "drift_count"),
)


@dataclass
class ReconciliationState:
    """What the last automatic or manual run did; persisted as one JSON object."""

    last_run_time: float = 0.0
    last_run_scope: str = ""
    last_gaps_found: int = 0
    last_gaps_by_type: dict[str, int] = field(default_factory=dict)
    last_enqueued: int = 0
    last_scenes_checked: int = 0
    is_startup_run: bool = False
    run_count: int = 0
    last_interval_run_time: float = 0.0  # epoch of the last run that was not a startup run


@dataclass(frozen=True)
class RunDecision:
    """A run the policy wants now: engine scope, whether it is a startup run, and why."""

    scope: str
    is_startup: bool
    reason: str
    now: float  # pass it to record_run so the next due time does not drift by the run's length


# --------------------------------------------------------------------------------------------
# Pure policy
# --------------------------------------------------------------------------------------------


def _setting(config: Any, name: str, default: str) -> str:
    if isinstance(config, str):
        value: Any = config
    elif isinstance(config, Mapping):
        value = config.get(name, default)
    else:
        value = getattr(config, name, default)
    return value.strip().lower() if isinstance(value, str) else default


def normalize_interval(config: Any) -> str:
    """`reconcile_interval` of a config object (or a plain string); unknown values -> never.

    The config loader warns about bad values once; repeating it here on every invocation
    would be noise, so an unknown interval silently disables automatic runs (the default).
    """
    interval = _setting(config, "reconcile_interval", DEFAULT_INTERVAL)
    return interval if interval in INTERVAL_SECONDS else DEFAULT_INTERVAL


def scope_for(config: Any) -> str:
    """Engine scope for `reconcile_scope` (all/24h/7days -> all/recent/recent_7days)."""
    setting = _setting(config, "reconcile_scope", DEFAULT_SCOPE_SETTING)
    return _SCOPES.get(setting, _SCOPES[DEFAULT_SCOPE_SETTING])


def _last_interval_run(state: ReconciliationState) -> float:
    # State written by earlier versions lacks last_interval_run_time: fall back to the last
    # run when that one was not a startup run.
    last = state.last_interval_run_time
    if not state.is_startup_run:
        last = max(last, state.last_run_time)
    return last


def with_our_fields(state: ReconciliationState) -> ReconciliationState:
    """`state` (e.g. Stash2Plex 1.x's, which lacks it) with `last_interval_run_time` filled
    in from its history; idempotent."""
    state.last_interval_run_time = _last_interval_run(state)
    return state


def _elapsed_at_least(last: float, now: float, period: float) -> bool:
    if last <= 0:
        return True  # never ran
    elapsed = now - last
    # A record more than one period in the future means the clock was wrong when it was
    # written; trusting it would block runs for that long.
    return elapsed >= period or elapsed < -period


def interval_due(state: ReconciliationState, interval: str, now: float) -> bool:
    """True when `interval` (hourly/daily/weekly) elapsed since the last non-startup run."""
    period = INTERVAL_SECONDS.get(interval)
    if period is None:
        return False
    return _elapsed_at_least(_last_interval_run(state), now, period)


def startup_due(state: ReconciliationState, now: float) -> bool:
    """True when nothing ever ran, or at least an hour passed since the last run of any kind."""
    return _elapsed_at_least(state.last_run_time, now, STARTUP_MIN_GAP_S)


def decide_run(config: Any, state: ReconciliationState, now: float) -> RunDecision | None:
    """The automatic run to perform now, or None. Pure: same inputs, same answer."""
    interval = normalize_interval(config)
    if interval == DEFAULT_INTERVAL:
        return None
    if interval_due(state, interval, now):
        last = _last_interval_run(state)
        since = "never ran" if last <= 0 else f"last one {(now - last) / 3600:.1f} h ago"
        reason = f"{interval} reconciliation due ({since})"
        return RunDecision(scope_for(config), False, reason, now)
    if startup_due(state, now):
        since = (now - state.last_run_time) / 3600
        reason = f"startup reconciliation: no run for {since:.1f} h"
        return RunDecision(STARTUP_SCOPE, True, reason, now)
    return None


# --------------------------------------------------------------------------------------------
# Persisted state
# --------------------------------------------------------------------------------------------


_INVALID = object()


def _coerce(value: Any, default: Any) -> Any:
    """`value` when it has the type of `default`, else _INVALID."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else _INVALID
    if isinstance(value, bool):
        return _INVALID
    if isinstance(default, float):
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
        return _INVALID
    if isinstance(default, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else _INVALID
    if isinstance(default, str):
        return value if isinstance(value, str) else _INVALID
    if isinstance(default, dict):
        if not isinstance(value, dict):
            return _INVALID
        counts = {k: _coerce(v, 0) for k, v in value.items() if isinstance(k, str)}
        return {k: v for k, v in counts.items() if v is not _INVALID}
    return _INVALID


def state_from_dict(raw: Mapping[str, Any]) -> tuple[ReconciliationState, list[str]]:
    """Build a state from decoded JSON: unknown keys ignored, a mistyped key -> its default.

    Returns the state and the names of the keys that had to be defaulted.
    """
    state = ReconciliationState()
    bad: list[str] = []
    for spec in fields(ReconciliationState):
        if spec.name not in raw:
            continue
        value = _coerce(raw[spec.name], getattr(state, spec.name))
        if value is _INVALID:
            bad.append(spec.name)
        else:
            setattr(state, spec.name, value)
    return state, bad


def _read(result: Any, name: str) -> Any:
    if isinstance(result, Mapping):
        return result.get(name)
    return getattr(result, name, None)


def _count(result: Any, name: str) -> int | None:
    value = _read(result, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if math.isfinite(value) and value >= 0 else None


def _default_warn(message: str) -> None:
    import logging  # lazily: hooks that never warn should not pay for it

    logging.getLogger(__name__).warning(message)


class ReconciliationScheduler:
    """`reconciliation_state.json` in `data_dir`, and the policy applied to it.

    Every call reads the file afresh (another process may have run meanwhile). Runs are
    performed by the worker under its lock, so record_run's read-modify-write is not raced;
    save_state is atomic on its own (temp file, fsync, os.replace).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.data_dir = os.fspath(data_dir)
        self.state_path = os.path.join(self.data_dir, STATE_FILENAME)
        self._warn = warn if warn is not None else _default_warn
        self._clock = clock
        self._warned = False

    # -- persistence --------------------------------------------------------------------

    def load_state(self) -> ReconciliationState:
        """The stored state; defaults when the file is missing, empty or corrupt.

        A missing file is the normal first run and is silent; an empty or corrupt file, or
        mistyped keys, give one warning per scheduler (until a save heals the file).
        """
        try:
            with open(self.state_path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return ReconciliationState()
        except OSError as exc:
            self._warn_once(f"cannot read {STATE_FILENAME} ({exc.strerror}); using defaults")
            return ReconciliationState()
        if not data.strip():
            self._warn_once(f"{STATE_FILENAME} is empty; reconciliation history starts afresh")
            return ReconciliationState()
        try:
            # utf-8-sig: a file saved by a Windows editor may start with a BOM.
            raw = json.loads(data.decode("utf-8-sig"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raw = None
        if not isinstance(raw, dict):
            self._warn_once(f"{STATE_FILENAME} is corrupt; reconciliation history starts afresh")
            return ReconciliationState()
        state, bad = state_from_dict(raw)
        if bad:
            self._warn_once(f"{STATE_FILENAME}: invalid {', '.join(bad)}; using defaults for them")
        return state

    def save_state(self, state: ReconciliationState) -> None:
        """Write `state` atomically: temp file in the same folder, fsync, os.replace."""
        payload = json.dumps(asdict(state), indent=2, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.state_path, payload)
        self._warned = False

    # -- runs -----------------------------------------------------------------------------

    def record_run(
        self,
        *args: Any,
        scope: Any = None,
        result: Any = None,
        is_startup: bool = False,
        now: float | None = None,
    ) -> ReconciliationState:
        """Store one finished run and return the new state.

        `result` is a GapDetectionResult or a dict with the same names (total_gaps,
        enqueued_count, scenes_checked, <type>_count). Ours is `record_run(scope, result)`;
        Stash2Plex 1.x's scripts call `record_run(result, scope="…", is_startup=…)` and the
        older `(result, scope)` order is accepted too: the string argument is the scope.
        Manual reconcile tasks record with is_startup=False; Preview Gaps records nothing.
        """
        if len(args) > 2:
            raise TypeError(f"record_run takes at most 2 positional arguments ({len(args)} given)")
        given = list(args)
        if scope is None and given and isinstance(given[0], str):
            scope = given.pop(0)
        if result is None and given and not isinstance(given[0], str):
            result = given.pop(0)
        if scope is None and given:
            scope = given.pop(0)
        if result is None and given:
            result = given.pop(0)
        if given:
            raise TypeError("record_run got the scope or the result twice")
        if scope is None:
            raise TypeError("record_run needs the scope")
        moment = self._clock() if now is None else now
        state = self.load_state()
        by_type = {}
        for gap_type, attribute in _COUNT_KEYS:
            count = _count(result, attribute)
            if count is not None:
                by_type[gap_type] = count
        # A GapDetectionResult names its gap types itself (e.g. `plex_drift`, only when that
        # check ran); its counts win over the attribute names above.
        named = _read(result, "by_type")
        if isinstance(named, Mapping):
            for gap_type, value in named.items():
                count = _count({"n": value}, "n")
                if isinstance(gap_type, str) and count is not None:
                    by_type[gap_type] = count
        total = _count(result, "total_gaps")
        state.last_run_time = moment
        state.last_run_scope = scope if isinstance(scope, str) else str(scope)
        state.last_gaps_found = total if total is not None else sum(by_type.values())
        state.last_gaps_by_type = by_type
        state.last_enqueued = _count(result, "enqueued_count") or 0
        state.last_scenes_checked = _count(result, "scenes_checked") or 0
        state.is_startup_run = bool(is_startup)
        state.run_count += 1
        if not is_startup:
            state.last_interval_run_time = moment
        self.save_state(state)
        return state

    def upgrade_state(self) -> ReconciliationState | None:
        """Rewrite the stored state with every field of ours (Stash2Plex 1.x's file lacks
        `last_interval_run_time`), keeping its history; None when there is no readable file
        (a corrupt one is never overwritten here). Atomic; a file already ours is kept."""
        try:
            with open(self.state_path, "rb") as handle:
                raw = json.loads(handle.read().decode("utf-8-sig"))
        except (OSError, ValueError, RecursionError):
            return None  # missing, or unreadable: left as it is (load_state warns on use)
        if not isinstance(raw, dict):
            return None
        state = self.load_state()
        if "last_interval_run_time" not in raw:
            self.save_state(with_our_fields(state))
        return state

    def is_due(self, config: Any, now: float | None = None) -> bool:
        """True when the configured interval (config or plain string) elapsed; never -> False."""
        interval = normalize_interval(config)
        return interval_due(self.load_state(), interval, self._now(now))

    def is_startup_due(self, now: float | None = None) -> bool:
        """True when nothing ever ran or at least an hour passed since the last run."""
        return startup_due(self.load_state(), self._now(now))

    def decide(self, config: Any, now: float | None = None) -> RunDecision | None:
        """decide_run against the stored state: what to run on this invocation, if anything."""
        if normalize_interval(config) == DEFAULT_INTERVAL:
            return None  # no file read at all on the default setting
        return decide_run(config, self.load_state(), self._now(now))

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)
