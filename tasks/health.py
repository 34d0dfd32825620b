"""The Health Check task (`health_check`): every setup check in one run, a one-screen report and
a verdict. Never raises: each failure is one line with its fix; the output carries the data.

Order: Stash (reachable, version, auth), settings, Plex (reachable, token, edit permission,
sections), the path-index refresh, a spread sample of Stash scenes through the path map and
the index (with a path-map suggestion when they miss), then queue, failed list, circuit and
reconciliation. Plex costs four requests besides the index refresh; Stash a bounded few.
Secrets are registered with the log redactor before any request and never printed.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from base.about import PLUGIN_NAME, __version__
from base.errors import StashError
from doctor.checks import check_settings, check_stash, check_state, skipped
from doctor.legacy import check_legacy_installs
from doctor.report import plain_results, render, verdict
from doctor.result import FAIL, CheckResult
from runtime.context import Context
from runtime.voice import INFO_LIMIT, line

__all__ = ["run_health_check"]

# Debug lines go out at Stash's info level behind a "[debug] " prefix (stash/log.py).
DEBUG_ROOM = INFO_LIMIT - len("[debug] ")


class _Run:
    """The state of one Health Check run, closed whatever happens."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.results: list[CheckResult] = []
        self.document: dict[str, object] = {}
        self.gateway: Any = None
        self.client: Any = None
        self.index: Any = None
        self.config: Any = None

    def close(self) -> None:
        for thing in (self.index, self.client, self.gateway):
            if thing is not None:
                try:
                    thing.close()
                except Exception as exc:  # closing must not hide the report
                    self.ctx.log.debug(line(f"closing {type(thing).__name__}: {exc}", DEBUG_ROOM))

    def run(self) -> None:
        ctx = self.ctx
        ctx.progress(0.0)
        stash = check_stash(ctx)
        self.gateway = stash.gateway
        self.results.append(stash.result)
        result, self.config = check_settings(ctx)
        self.results.append(result)
        ctx.progress(0.1)
        if self.config is None:
            self.results.append(skipped("plex", "settings unusable"))
        else:
            self._plex()
        ctx.progress(0.9)
        state, document = check_state(ctx, self.config)
        self.results.append(check_legacy_installs(ctx.plugin_dir, ctx.data_dir))
        self.results.extend(state)
        self.document.update(document)

    def _plex(self) -> None:
        from doctor.plex_checks import check_plex, refresh_index, section_results

        access = check_plex(self.config, self.ctx.ensure_data_dir())
        self.results.extend(access.results)
        self.client = access.client
        if access.server:
            self.document["plex"] = access.server
        if self.client is None or not access.sections:
            if self.client is not None:
                self.results.append(skipped("matching", "no usable Plex library configured"))
            return
        self.ctx.progress(0.2)
        self.index, result = refresh_index(self.client, access.sections, self.ctx.data_dir)
        self.results.append(result)
        self.document["plex_requests"] = {
            "total": self.client.requests_made.total,
            "index_listing": (result.details or {}).get("listing_requests", 0),
        }
        if self.index is None:
            return
        self.ctx.progress(0.7)
        entries = list(self.index.entries())
        self.results.extend(section_results(access.sections, entries))
        if self.gateway is None:
            self.results.append(skipped("matching", "Stash unavailable"))
            return
        self._preview(entries)

    def _preview(self, entries: list[Any]) -> None:
        from doctor.preview import preview_matching
        from doctor.sample import spread_sample
        from plex.sections import title_list

        try:
            sample = spread_sample(self.gateway)
        except StashError as exc:
            self.results.append(
                CheckResult("matching", FAIL, f"Stash scenes could not be sampled: {exc}")
            )
            return
        self.document["sample"] = {
            "total": sample.total,
            "sampled": len(sample.scenes),
            "stash_requests": sample.requests,
            "ids": sample.ids,
        }
        preview = preview_matching(
            sample.scenes,
            entries,
            self.index.style,
            self.index.section_locations,
            self.config.path_mapping,
            sample.total,
            chosen=bool(title_list(self.config.plex_library)),
            titles=sample.titles if self.config.hide_paths else None,
            optimized=list(self.index.optimized_entries()),
        )
        for text in preview.debug:
            self.ctx.log.debug(line(text, DEBUG_ROOM))
        self.results.extend(preview.results)
        self.document["matching"] = preview.as_dict()


def run_health_check(ctx: Context) -> dict[str, object]:
    """Task `health_check`: log the one-screen report and return it as structured data."""
    started = time.monotonic()
    run = _Run(ctx)
    try:
        run.run()
    except Exception as exc:  # a bug of ours must still end in one line, not a stack trace
        for text in traceback.format_exc().splitlines():  # debug goes out at info: ≤ 300
            ctx.log.debug(line(text, DEBUG_ROOM))
        run.results.append(
            CheckResult(
                "internal",
                FAIL,
                f"Health Check stopped early on an unexpected problem: {exc}",
                "enable debug_logging, run Health Check again and report the log",
            )
        )
    finally:
        run.close()
    results = plain_results(run.results)
    for result in results:  # hide_paths keeps what the user must type into path_map
        value = result.details.get("path_map") if result.name == "path_map" else None
        if isinstance(value, str):
            ctx.log.redactor.allow_path_text(value)
    ready, last = verdict(results)
    ctx.log.info(line(f"{PLUGIN_NAME} {__version__} Health Check"))
    for level, text in render(results):  # each one line, ≤ 300 characters at info
        ctx.log.log(level, text)
    ctx.log.log("info" if ready else "warning", last)
    ctx.progress(1.0)
    return {
        "ready": ready,
        "verdict": last,
        "checks": [r.as_dict() for r in results],
        **run.document,
        "duration_s": round(time.monotonic() - started, 3),
    }
