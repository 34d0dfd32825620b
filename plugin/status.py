"""The "View Status" task: version, data folder and effective settings, secrets masked.

Task side (may import pydantic). Stash shows a task's output only at debug level, so the
summary is also logged at info. Later issues add their sections (queue, reconciliation) by
extending `collect_status`.
"""

from __future__ import annotations

import sys

from plugin import PLUGIN_NAME, __version__
from plugin.context import Context
from plugin.errors import Stash2PlexError

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
    try:
        resolved = ctx.resolved_settings()
    except Stash2PlexError as exc:
        status["settings_error"] = str(exc)
        return status
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
    return status


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
        return lines
    if "setup" in status:
        lines.append(("warning", str(status["setup"])))
    settings = status.get("settings")
    if isinstance(settings, dict):
        shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
        lines.append(("info", f"Settings: {shown}"))
    return lines


def run_status(ctx: Context) -> dict[str, object]:
    """Task `status`: log a one-screen summary and return the status document."""
    status = collect_status(ctx)
    for level, line in _summary_lines(status):
        ctx.log.log(level, line)
    return status
