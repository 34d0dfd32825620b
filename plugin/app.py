"""One invocation end to end: stdin bytes → Invocation → route → handler → one result.

Standard library only on the hook path. While a handler runs, `sys.stdout` and `sys.stderr`
are log streams, so stray prints become redacted log lines and the real stdout receives
nothing but the result object. Failures become one error line plus `{"error": ...}` and
exit status 1 (SPEC §7).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from base.datadir import resolve_data_dir
from base.errors import Stash2PlexError
from plugin.dispatch import (
    CATCH_UP_AFTER_MODES,
    SCHEDULE_AWARE_MODES,
    TASK,
    find_route,
    load_handler,
)
from plugin.invocation import parse_invocation
from plugin.result import encode_result
from plugin.settings_source import fetch_settings
from runtime.context import Context, SettingsSource
from stash.log import LogStream, StashLog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from worker.services import WorkerServices

__all__ = ["run"]

DependencyCheck = Callable[[Context], None]


def _ensure_dependencies(ctx: Context) -> None:
    from plugin.deps import ensure_dependencies

    ensure_dependencies(ctx.plugin_dir, ctx.data_dir, ctx.log)


def _handle(
    raw: bytes,
    log: StashLog,
    plugin_dir: Path,
    env: Mapping[str, str] | None,
    settings_source: SettingsSource,
    ensure_deps: DependencyCheck,
    services: WorkerServices | None,
) -> object:
    invocation = parse_invocation(raw)
    log.add_secret(invocation.session_cookie)
    log.progress_enabled = invocation.is_task
    route = find_route(invocation)
    ctx = Context(
        invocation=invocation,
        log=log,
        plugin_dir=plugin_dir,
        data_dir=resolve_data_dir(plugin_dir, env),
        settings_source=settings_source,
        services=services,
    )
    if route.kind != TASK:
        return load_handler(route)(ctx)
    ensure_deps(ctx)
    from stash.log_bridge import bridge_python_logging, remove_bridge

    bridge = bridge_python_logging(log)
    try:
        _take_over_1x(ctx)
        output = load_handler(route)(ctx)
        if route.key in CATCH_UP_AFTER_MODES:
            _catch_up(ctx)
        if route.key not in SCHEDULE_AWARE_MODES:
            _ask_scheduler(ctx)
        return output
    finally:
        remove_bridge(bridge)


def _take_over_1x(ctx: Context) -> None:
    """Stash2Plex 1.x's data, taken over before the first task works (tasks/takeover.py);
    hooks never do it. A failure leaves its files in place for the next task, never fails
    this one."""
    from tasks.takeover import take_over

    try:
        take_over(ctx.plugin_dir, ctx.data_dir, ctx.log)
    except Exception as exc:  # keep the task; every step is retried by the next task
        ctx.log.warning(
            "Could not finish taking over the data of Stash2Plex 1.x; the next task tries"
            " again (enable debug_logging for details)"
        )
        ctx.log.debug(f"takeover: {type(exc).__name__}: {exc}")


def _catch_up(ctx: Context) -> None:
    """Changes made without a hook since the last run, queued after a maintenance task."""
    from worker.catchup import catch_up_between_runs

    woke = catch_up_between_runs(ctx)
    if woke is not None:
        ctx.log.info(f"Scenes changed in Stash without a hook were queued: {woke}")


def _ask_scheduler(ctx: Context) -> None:
    """Every task asks the reconciliation scheduler (SPEC §3): a due run wakes the worker.

    Reads the settings snapshot, not Stash, so a task that never needed settings pays no
    request; a failure here never fails the task that already did its work.
    """
    from reconciliation.auto import reconciliation_due
    from runtime.wakeup import wake_if_due

    try:
        snapshot = ctx.snapshot()
        due = reconciliation_due(ctx, snapshot.settings)
        woke = wake_if_due(ctx, due, backoff=False, snapshot=snapshot)
    except Stash2PlexError as exc:
        ctx.log.debug(f"reconciliation check skipped: {exc}")
        return
    if woke is not None:
        ctx.log.info(f"Reconciliation is due: {woke}")


def run(
    raw: bytes,
    *,
    plugin_dir: Path,
    stdout: BinaryIO,
    stderr: BinaryIO,
    env: Mapping[str, str] | None = None,
    settings_source: SettingsSource | None = None,
    ensure_deps: DependencyCheck | None = None,
    services: WorkerServices | None = None,
) -> int:
    """Run one invocation; writes the result to `stdout`, logs to `stderr`; returns the exit
    status. `settings_source`, `ensure_deps` and `services` (the worker's parts, e.g. its
    Plex step) are seams (defaults: Stash, real installs, production parts).
    """
    log = StashLog(stderr)
    saved = sys.stdout, sys.stderr
    streams = LogStream(log, "info", "[stdout] "), LogStream(log, "warning")
    sys.stdout, sys.stderr = streams
    code = 1
    try:
        output = _handle(
            raw,
            log,
            plugin_dir,
            env,
            settings_source or fetch_settings,
            ensure_deps or _ensure_dependencies,
            services,
        )
        result, code = encode_result(output, None, log.redactor.redact_obj), 0
    except Stash2PlexError as exc:
        message = one_line(str(exc) or type(exc).__name__)
        log.error(message)
        result = encode_result(None, message, log.redactor.redact_obj)
    except (Exception, SystemExit) as exc:  # a bug or a library's exit: still one result
        import traceback

        message = one_line(f"Internal error: {type(exc).__name__}: {exc}")
        log.error(message + " (enable debug_logging for the traceback)")
        log.debug(traceback.format_exc())
        result = encode_result(None, message, log.redactor.redact_obj)
    finally:
        sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.drain()
    stdout.write(result)
    stdout.flush()
    return code


MAX_ERROR_CHARS = 1000


def one_line(text: str) -> str:
    """The run's error as one readable line: a value quoted in full (a megabyte setting, a
    multi-line server answer) must not turn Stash's task error into a page."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
