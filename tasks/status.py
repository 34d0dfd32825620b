"""The "View Status" task: version, data folder, effective settings (secrets masked), the
queue (counts, recent failures, Plex circuit, last worker run) and reconciliation history.

Task side (may import pydantic). Stash shows a task's output only at debug level, so the
summary is also logged at info. Later issues add their sections by extending
`collect_status`. Like every invocation, it applies the wake-up rule when it
finds due work nobody is processing.
"""

from __future__ import annotations

import sys

from base.about import PLUGIN_NAME, __version__
from base.errors import Stash2PlexError
from runtime import voice
from runtime.context import Context

__all__ = ["collect_status", "run_status"]


def collect_status(ctx: Context) -> dict[str, object]:
    """The status document; never raises for settings problems (they are reported in it)."""
    from validation.config import config_error_message, redacted_values

    status: dict[str, object] = {
        "plugin": PLUGIN_NAME,
        "version": __version__,
        "python": sys.version.split()[0],
        "data_dir": str(ctx.data_dir),
    }
    _add_queue(ctx, status)
    _add_activity(ctx, status)
    try:
        resolved = ctx.resolved_settings()
    except Stash2PlexError as exc:
        status["settings_error"] = str(exc)
        _add_reconciliation(ctx, status, None)
        return status
    _add_reconciliation(ctx, status, resolved.values)
    status["settings"] = redacted_values(resolved)
    status["configured"] = not resolved.missing
    if resolved.missing:
        status["setup"] = config_error_message(resolved)
    if resolved.invalid:
        status["settings_defaulted"] = list(resolved.invalid)
    if resolved.aliased:
        status["legacy_settings_used"] = dict(resolved.aliased)
    if resolved.unknown:
        status["unknown_settings"] = list(resolved.unknown)
    if resolved.retired:
        status["unused_1x_settings"] = list(resolved.retired)
    return status


def _add_queue(ctx: Context, status: dict[str, object]) -> None:
    import sqlite3

    from worker.status_info import queue_status

    try:
        status["queue"] = queue_status(ctx.ensure_data_dir())
    except (sqlite3.Error, OSError) as exc:
        status["queue_error"] = (
            f"the queue cannot be read right now ({exc}); try again once the running task "
            "has finished"
        )


def _add_activity(ctx: Context, status: dict[str, object]) -> None:
    """When the last Plex activity pull ran and what it brought (issue 18)."""
    import sqlite3

    from worker.pull_report import last_pull

    try:
        status["plex_activity"] = last_pull(ctx.ensure_data_dir())
    except (sqlite3.Error, OSError):
        status["plex_activity"] = None  # the queue's own line already says it cannot be read


def _activity_lines(status: dict[str, object]) -> list[tuple[str, str]]:
    from worker.pull_report import status_line

    report = status.get("plex_activity")
    return [("info", status_line(report if isinstance(report, dict) else None))]


def _add_reconciliation(ctx: Context, status: dict[str, object], settings: object) -> None:
    """Last run, run count and, with the settings, when the next automatic run is due."""
    from reconciliation.history import reconciliation_status

    status["reconciliation"] = reconciliation_status(ctx.data_dir, settings, warn=ctx.log.warning)


def _reconciliation_lines(status: dict[str, object]) -> list[tuple[str, str]]:
    from reconciliation.history import status_lines

    history = status.get("reconciliation")
    return [("info", line) for line in status_lines(history)] if isinstance(history, dict) else []


def _wake_if_due(ctx: Context, status: dict[str, object]) -> None:
    queue = status.get("queue")
    if not isinstance(queue, dict) or not queue.get("due_work"):
        return
    from runtime.wakeup import wake_if_due

    queue["wake"] = wake_if_due(ctx, True, backoff=False)


def _wake_for_reconciliation(ctx: Context, status: dict[str, object]) -> None:
    """A due automatic reconciliation is due work too: the worker performs it."""
    history = status.get("reconciliation")
    queue = status.get("queue")
    if not isinstance(history, dict) or not str(history.get("next_due", "")).startswith("now"):
        return
    if isinstance(queue, dict) and "wake" in queue:
        return  # already woken for the queue
    from reconciliation.auto import reconciliation_due
    from runtime.wakeup import wake_if_due

    due = reconciliation_due(ctx, ctx.resolved_settings().values)
    history["wake"] = wake_if_due(ctx, due, backoff=False)


def _queue_lines(status: dict[str, object]) -> list[tuple[str, str]]:
    from worker.status_info import queue_lines

    if "queue_error" in status:
        return [("warning", str(status["queue_error"]))]
    queue = status.get("queue")
    return queue_lines(queue) if isinstance(queue, dict) else []


def _summary_lines(status: dict[str, object]) -> list[tuple[str, str]]:
    """(level, line) pairs: problems as warnings, the rest at info."""
    lines = [
        (
            "info",
            f"{status['plugin']} {status['version']} (Python {status['python']}), "
            f"data folder: {status['data_dir']}",
        )
    ]
    if "settings_error" in status:
        lines.append(("warning", f"Settings unavailable: {status['settings_error']}"))
        return lines + _queue_lines(status) + _reconciliation_lines(status)
    if "setup" in status:
        lines.append(("warning", str(status["setup"])))
    settings = status.get("settings")
    if isinstance(settings, dict):
        shown = [f"{k}={v!r}" for k, v in settings.items()]
        lines += [("info", text) for text in voice.wrap("Settings: ", shown)]
    return lines + _queue_lines(status) + _activity_lines(status) + _reconciliation_lines(status)


def run_status(ctx: Context) -> dict[str, object]:
    """Task `status`: log a one-screen summary and return the status document."""
    status = collect_status(ctx)
    _wake_if_due(ctx, status)
    _wake_for_reconciliation(ctx, status)
    for level, line in _summary_lines(status):
        ctx.log.log(level, voice.line(line))
    return status
