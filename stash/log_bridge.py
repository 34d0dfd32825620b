"""Route Python `logging` records and `warnings` (plexapi, urllib3, ...) into the Stash log.

Task path only (importing `logging` costs a hook milliseconds). Records pass through the
same StashLog, so they are levelled, capped and redacted like our own lines. Library
records below WARNING appear only with debug_logging.
"""

from __future__ import annotations

import logging

from stash.log import StashLog

__all__ = ["StashLogHandler", "bridge_python_logging", "remove_bridge"]

_LEVELS = (
    (logging.ERROR, "error"),
    (logging.WARNING, "warning"),
    (logging.INFO, "info"),
)


class StashLogHandler(logging.Handler):
    """A logging handler writing to a StashLog (records below INFO go out as debug)."""

    def __init__(self, log: StashLog) -> None:
        super().__init__()
        self.stash_log = log
        self.previous_level = logging.WARNING

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = f"{record.name}: {record.getMessage()}"
            if record.exc_info and self.stash_log.debug_enabled:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
        except Exception:  # a broken record must not break the task
            message = f"{record.name}: (unformattable log record)"
        level = next((name for number, name in _LEVELS if record.levelno >= number), "debug")
        self.stash_log.log(level, message)


def bridge_python_logging(log: StashLog) -> StashLogHandler:
    """Install the handler on the root logger (replacing an earlier one) and capture warnings.

    Undo with `remove_bridge` (matters when several runs share one process, as in tests).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StashLogHandler):
            root.removeHandler(handler)
    handler = StashLogHandler(log)
    handler.previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if log.debug_enabled else logging.WARNING)
    logging.captureWarnings(True)
    return handler


def remove_bridge(handler: StashLogHandler) -> None:
    """Detach `handler`, restore the root level and stop capturing warnings."""
    root = logging.getLogger()
    root.removeHandler(handler)
    root.setLevel(handler.previous_level)
    logging.captureWarnings(False)
