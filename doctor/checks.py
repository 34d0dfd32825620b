"""Health Check steps on the Stash side and the plugin's own state: Stash access, settings,
queue, failed list, Plex circuit and reconciliation. Each returns `CheckResult`s, never raises.

The Plex steps are in `doctor.plex_checks`, the matching preview in `doctor.preview`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from base.errors import Stash2PlexError, StashAuthError, StashError
from doctor.result import FAIL, OK, SKIP, WARN, CheckResult, setting_place
from runtime.context import Context
from runtime.voice import line
from stash.connection import StashEndpoint
from stash.forms import OLDEST_SUPPORTED

__all__ = [
    "MIN_STASH_VERSION",
    "STASH_TIMEOUT_S",
    "StashAccess",
    "check_settings",
    "check_stash",
    "check_state",
]

MIN_STASH_VERSION = OLDEST_SUPPORTED  # before it Stash cannot hand a plugin its settings
STASH_TIMEOUT_S = 15.0  # a Health Check answers sooner than a task's 30 s would let it
_VERSION_QUERY = "query { version { version } }"
_FROM_TASKS = (
    "run Health Check from Stash (Settings → Tasks → Plugin Tasks → Stash2Plex), which hands "
    "the plugin a fresh session"
)


@dataclass
class StashAccess:
    """The Stash check's result and, when Stash is usable, the gateway for the sample."""

    result: CheckResult
    gateway: Any = None  # runtime.stash.CountingStash (a stash.client.StashGateway)


def _auth_mode(endpoint: StashEndpoint) -> str:
    """ "open" when Stash answers without credentials, "required" when it refuses them.

    One anonymous `version` query: Stash checks credentials before resolving anything.
    """
    from dataclasses import replace

    from stash.hookcalls import post_graphql

    anonymous = replace(endpoint, cookie_value="", api_key="")
    try:
        post_graphql(anonymous, _VERSION_QUERY, timeout=5.0)
    except StashAuthError:
        return "required"
    except StashError:
        return "unknown"
    return "open"


def _auth_text(mode: str) -> str:
    return {
        "open": "auth: open (no credentials configured in Stash)",
        "required": "auth: credentials required, the plugin's session is accepted",
    }.get(mode, "auth: could not be determined")


def check_stash(ctx: Context) -> StashAccess:
    """Stash reachable, its version, its auth mode; the gateway for the sample when usable.

    Opened by `runtime.stash.connect_stash`, the production opener, not `open_stash`: this
    check is about the real Stash (its version, its auth), never an injected test double.
    """
    from runtime.stash import connect_stash

    endpoint = StashEndpoint.from_server_connection(ctx.invocation.server_connection)
    where = endpoint.base_url
    try:
        gateway = connect_stash(ctx, timeout=STASH_TIMEOUT_S)
    except StashAuthError as exc:
        has_session = bool(endpoint.cookie_value)
        why = (
            "the plugin's session was refused (expired?)"
            if has_session
            else "Stash requires credentials and the plugin was started without a session"
        )
        return StashAccess(
            CheckResult("stash", FAIL, f"Stash at {where}: {exc}; {why}", _FROM_TASKS)
        )
    except StashError as exc:
        return StashAccess(
            CheckResult(
                "stash",
                FAIL,
                f"Stash unreachable at {where}: {exc}",
                "check that Stash is running; the plugin talks to Stash at the address Stash "
                "itself hands it",
            )
        )
    version = gateway.version()
    mode = _auth_mode(endpoint)
    details: dict[str, object] = {"url": where, "version": version, "auth": mode}
    if gateway.version_info < MIN_STASH_VERSION:
        result = CheckResult(
            "stash",
            FAIL,
            f"Stash {version} at {where} is older than v0.24, the oldest Stash2Plex supports: "
            "it cannot hand plugins their settings",
            "update Stash to v0.24 or later",
            details,
        )
        return StashAccess(result, gateway)
    line = f"Stash {version} reachable at {where}; {_auth_text(mode)}"
    return StashAccess(CheckResult("stash", OK, line, details=details), gateway)


def check_settings(ctx: Context) -> tuple[CheckResult, Any]:
    """The settings as Stash stores them: usable config (or why not). Returns (result, config)."""
    from validation.config import config_error_message

    try:
        resolved = ctx.resolved_settings()
    except StashError as exc:
        line = f"Settings could not be read from Stash: {exc}"
        return CheckResult("settings", FAIL, line, _FROM_TASKS), None
    if resolved.missing:
        key = resolved.missing[0]
        return (
            CheckResult(
                "settings", FAIL, config_error_message(resolved), f"fill in {setting_place(key)}"
            ),
            None,
        )
    config = resolved.config
    if config is None:  # the one model refused the required keys: reported as missing
        return CheckResult(
            "settings", FAIL, config_error_message(resolved), "check the settings"
        ), None
    details: dict[str, object] = {}
    problems: list[str] = []
    if resolved.invalid:
        details["defaulted"] = list(resolved.invalid)
        problems.append(
            "ignored invalid value(s) of "
            + ", ".join(resolved.invalid)
            + " (see the warnings above)"
        )
    if resolved.unknown:
        details["unknown"] = list(resolved.unknown)
    if config.paused:
        problems.append("paused is on: edits are recorded but nothing is pushed")
    if problems:
        fix = "; ".join(
            [f"correct {setting_place(k)}" for k in resolved.invalid]
            + ([f"untick {setting_place('paused')}"] if config.paused else [])
        )
        return CheckResult(
            "settings", WARN, "Settings: " + "; ".join(problems), fix, details
        ), config
    return CheckResult("settings", OK, "Settings: Plex URL and token set", details=details), config


def skipped(name: str, because: str) -> CheckResult:
    return CheckResult(name, SKIP, f"{name.capitalize()}: not checked ({because})")


def check_state(ctx: Context, config: Any) -> tuple[list[CheckResult], dict[str, object]]:
    """Queue, failed list, circuit and reconciliation, read-only (no lock, no request)."""
    import sqlite3

    results: list[CheckResult] = []
    document: dict[str, object] = {}
    try:
        from worker.status_info import queue_status

        queue = queue_status(ctx.ensure_data_dir())
    except (sqlite3.Error, OSError, ImportError, Stash2PlexError) as exc:
        results.append(
            CheckResult(
                "queue",
                WARN,
                f"Queue unreadable: {exc}",
                "run Health Check again; if this stays, enable debug_logging and report the log",
            )
        )
    else:
        document["queue"] = queue
        results.extend(_queue_results(queue))
    try:
        from reconciliation.history import reconciliation_status, status_lines

        history = reconciliation_status(
            ctx.data_dir, config, warn=lambda text: ctx.log.warning(line(text))
        )
    except (OSError, ValueError, ImportError) as exc:
        results.append(
            CheckResult("reconciliation", WARN, f"Reconciliation state unreadable: {exc}")
        )
    else:
        document["reconciliation"] = history
        results.append(CheckResult("reconciliation", OK, " ".join(status_lines(history))))
    return results, document


def _queue_results(queue: dict[str, object]) -> list[CheckResult]:
    line = (
        f"Queue: {queue.get('queued', 0)} queued ({queue.get('due', 0)} due), "
        f"{queue.get('in_flight', 0)} in flight, {queue.get('recorded_not_yet_queued', 0)} "
        f"recorded not yet queued, {queue.get('failed', 0)} failed"
    )
    results = [CheckResult("queue", OK, line)]
    failed = int(queue.get("failed") or 0)  # type: ignore[call-overload]
    if failed:
        recent = queue.get("failed_recent")
        first = recent[0] if isinstance(recent, list) and recent else None
        # The message says what happened; the stored reason is a class name for the worker.
        example = (
            f"; latest: scene {first['scene_id']}: {_message(first)}"
            if isinstance(first, dict)
            else ""
        )
        results.append(
            CheckResult(
                "failed",
                WARN,
                f"Failed list: {failed} scene(s){example}",
                "fix the cause, then run Retry Failed (or Clear Failed)",
            )
        )
    circuit = queue.get("circuit")
    if isinstance(circuit, dict) and circuit.get("open"):
        results.append(
            CheckResult(
                "circuit",
                WARN,
                f"Plex circuit open since {circuit.get('opened')}: {_message(circuit)}; the "
                "queue waits",
                "once Plex checks out above, run Stash2Plex: Process Queue (it closes the circuit)",
            )
        )
    else:
        results.append(CheckResult("circuit", OK, "Plex circuit: closed"))
    return results


def _message(stored: dict[str, object]) -> str:
    """A stored failure's message without its reason class (a class name, for the worker)."""
    message = str(stored.get("message") or "")
    reason = str(stored.get("reason_class") or "")
    if reason and message.startswith(reason + ": "):
        message = message[len(reason) + 2 :]
    return message or "no message recorded"
