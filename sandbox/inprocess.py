"""Runs one plugin invocation in this process through `plugin.app.run`, read as Stash reads it.

The tests' one in-process runner: the same stdin bytes the harness would send, the result read
by `PluginRun.from_streams` (Stash's stdout rule and stderr log protocol), the output and the
data folder fed to the suite's leak guard. Seams the subprocess cannot take stay open here:
a settings map or source instead of Stash's, and the worker's services.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from pathlib import Path

from plugin.app import run
from runtime.context import SettingsSource
from sandbox.harness import REPO_ROOT, PluginRun
from sandbox.secrets import note_files, note_output
from worker.services import WorkerServices

__all__ = ["run_in_process"]


def run_in_process(
    stdin: bytes,
    data_dir: Path,
    *,
    settings: SettingsSource | Mapping[str, object] | None = None,
    services: WorkerServices | None = None,
    plugin_dir: Path = REPO_ROOT,
) -> PluginRun:
    """`plugin.app.run` on `stdin` with `data_dir` as the data folder, dependencies as
    installed; `settings`: a map or a source (a seam), None = read from Stash.

    `error` is what the plugin wrote: no process ran, so there is no Go `exit status N` to
    fill in (tests of the one-result contract need to see a missing error as missing).
    """
    if settings is None or callable(settings):
        source = settings
    else:
        fixed = dict(settings)
        source = lambda ctx: fixed  # noqa: E731
    out, err = io.BytesIO(), io.BytesIO()
    started = time.monotonic()
    code = run(
        stdin,
        plugin_dir=plugin_dir,
        stdout=out,
        stderr=err,
        env={"STASH2PLEX_DATA_DIR": str(data_dir)},
        settings_source=source,
        ensure_deps=lambda ctx: None,
        services=services,
    )
    duration = time.monotonic() - started
    note_output(out.getvalue(), err.getvalue())  # the suite's leak guard reads every run ...
    note_files(data_dir)  # ... and every file it left behind, as for harness runs
    return PluginRun.from_streams(code, out.getvalue(), err.getvalue(), duration_s=duration)
