"""The reconciliation engine: find every gap between Stash, Plex and our sync records; queue it.

SPEC §3 pipeline, streamed so memory stays flat as the library grows: connect to Plex and
bring the persisted path index up to date (one `PathIndex.refresh` per run: incremental by
its own rules, never a search per scene) → load the sync timestamps → fetch the scenes in
scope page by page (`reconciliation.scenes`) → per batch, resolve each scene against the
index (`_build_plex_data` / `_process_scene_batch`, `reconciliation.plexdata`) → the three
pure detectors, plus drift (`reconciliation.drift`: fingerprints pushed vs now, and with
`reconcile_verify_plex` the index's listing fields vs what we pushed; no Plex request) →
enqueue with the dedupe rules (`reconciliation.enqueue`) → result.
Without a queue it is a dry run. Plex unreachable (or refusing the token, or misconfigured):
the run still checks stale syncs, which need no Plex, and reports the rest as an error entry;
a Stash or queue failure mid-run stops it: what was queued stays, the next run finds the rest.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from base.errors import ConfigError, PlexError, PlexServerDown
from reconciliation.detector import GapDetector, GapResult, first_file_path, scene_id_of
from reconciliation.drift import DriftCheck
from reconciliation.enqueue import Enqueuer, put_scenes, queued_scene_ids
from reconciliation.gone import confirm_gone, forget_gone
from reconciliation.plexdata import PlexBatch, RunMatcher
from reconciliation.result import MAX_KEPT_GAPS, GapDetectionResult
from reconciliation.scenes import (
    PAGE_SIZE,
    SceneFetchError,
    ScenePager,
    normalize_scope,
    scene_fragment_for,
    stash_version,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plex.client import PlexClient
    from plex.index import PathIndex

__all__ = ["GapDetectionEngine", "GapDetectionResult", "PlexServerDown"]

_log = logging.getLogger(__name__)
# Progress shares: Plex connection and index refresh, then the scenes, then the last pass.
_PLEX_SHARE, _SCENES_SHARE = 0.1, 0.85


def _noting_ids(scenes: Iterable[dict[str, Any]], seen: set[int]) -> Iterator[dict[str, Any]]:
    """`scenes` unchanged, each id added to `seen` as it passes."""
    for scene in scenes:
        try:
            seen.add(int(scene["id"]))
        except (KeyError, TypeError, ValueError):
            pass
        yield scene


def _setting(config: Any, name: str, default: Any) -> Any:
    value = getattr(config, name, default)
    return default if value is None else value


def _library_names(config: Any) -> tuple[str, ...]:
    names = getattr(config, "library_names", None)
    if isinstance(names, (list, tuple)):
        return tuple(str(n) for n in names)
    text = str(_setting(config, "plex_library", "") or "")
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _mapper(config: Any) -> Callable[[str], str]:
    """`path_map` exactly as the live sync applies it (`validation.path_map.PathMap`)."""
    from validation.path_map import PathMap, PathMapError

    mapping = getattr(config, "path_mapping", None)
    if not isinstance(mapping, PathMap):
        try:
            mapping = PathMap.parse(str(_setting(config, "path_map", "") or ""))
        except PathMapError as exc:
            raise ConfigError(f"path_map: {exc} (setting path_map)") from None
    return mapping.to_plex


class GapDetectionEngine:
    """One engine per data folder; `detect_gaps(scope)` (alias `run`) performs one run.

    `stash`: any object with stashapi's `find_scenes(f=, filter=, q=, fragment=, get_count=)`.
    `config`: read by attribute with SPEC §5 defaults (`plex_url`, `plex_token`,
    `plex_library`/`library_names`, `path_map`/`path_mapping`, `reconcile_skip_missing`, the
    Plex timeouts). `queue`: the worker's `WorkQueue`, the hook `Inbox`, or None (dry run).
    `progress` receives 0..1; `clock` gives epoch seconds (the `recent` windows, the index age);
    `keep_gaps` bounds the gaps kept with their reasons in the result (the counts cover all).
    `full_listing`: refresh the path index from Plex's whole listing, never incrementally
    (Reconcile Library (All) run by hand: it trusts nothing the index remembers).
    """

    def __init__(
        self,
        stash: Any,
        config: Any,
        data_dir: str | os.PathLike[str],
        queue: Any = None,
        *,
        progress: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        keep_gaps: int = MAX_KEPT_GAPS,
        full_listing: bool = False,
    ) -> None:
        self.full_listing = full_listing
        self.stash = stash
        self.config = config
        self.data_dir = Path(data_dir)
        self.queue = queue
        self.progress = progress
        self.clock = clock
        self.page_size = page_size
        self.keep_gaps = keep_gaps
        self.detector = GapDetector()
        self.client: PlexClient | None = None
        self.index: PathIndex | None = None
        self._matcher: RunMatcher | None = None
        self._drift: DriftCheck | None = None
        self._scope = "all"
        self._not_in_plex: set[int] = set()  # noted not in Plex and still absent

    # -- public --------------------------------------------------------------------------------

    def detect_gaps(self, scope: str = "all") -> GapDetectionResult:
        """Run once over `scope` (`all`, `recent` = updated in the last 24 h, `recent_7days`)."""
        self._scope = normalize_scope(scope)
        started = time.perf_counter()
        result = GapDetectionResult(
            scope=self._scope, dry_run=self.queue is None, keep_gaps=self.keep_gaps
        )
        fragment = scene_fragment_for(stash_version(self.stash))
        pager = ScenePager(
            self.stash, self._scope, self.clock(), page_size=self.page_size, fragment=fragment
        )
        self._drift = None
        self._report(0.0)
        try:
            self._run(result, pager)
        finally:
            self._close_plex(result)
            extra = 0
            if self._drift is not None:
                extra = self._drift.requests
                self._drift.close()
            result.stash_requests = pager.requests + extra + result.stash_requests_extra
            result.scenes_fetched = pager.fetched
            result.duration_s = time.perf_counter() - started
        self._report(1.0)
        for line in result.summary_lines():
            _log.debug(line)  # callers log the summary to the user through their own log
        return result

    def run(self, scope: str = "all") -> GapDetectionResult:
        """Alias of `detect_gaps`."""
        return self.detect_gaps(scope)

    # -- pipeline ------------------------------------------------------------------------------

    def _run(self, result: GapDetectionResult, pager: ScenePager) -> None:
        try:
            from sync_queue.sync_state import load_sync_timestamps

            sync_timestamps = load_sync_timestamps(self.data_dir)
            pending = queued_scene_ids(self.data_dir, self.queue)
            drift = self._drift = DriftCheck(self.detector, self.data_dir, self.config)
        except (sqlite3.Error, OSError) as exc:
            # Without the sync records every scene would look unsynced: do not guess.
            result.errors.append(f"cannot read the plugin's sync state or queue: {exc}")
            return
        result.plex_checked = self._prepare_plex(result)
        result.plex_verified = drift.use_index(self.index if result.plex_checked else None)
        result.plex_drift_report_only = result.plex_verified and drift.report_only
        self._report(_PLEX_SHARE)
        enqueuer = Enqueuer(self.queue, pending, result)
        self._not_in_plex = set()
        if result.plex_checked and bool(_setting(self.config, "ignore_not_in_plex", False)):
            self._check_not_in_plex(result, enqueuer.pending)
        seen: set[int] = set()
        scenes = _noting_ids(itertools.chain.from_iterable(pager.pages()), seen)
        chunks: Iterable[PlexBatch]
        if result.plex_checked:
            chunks = self._build_plex_data(scenes, sync_timestamps)
        else:
            chunks = (PlexBatch(scenes=batch) for batch in self._batches(scenes))
        try:
            drift.load_covers(self.stash, self.clock())
            for chunk in chunks:
                gaps = self._detect(chunk, sync_timestamps, result.plex_checked)
                if self._not_in_plex:
                    self._queue_moved(chunk, result, enqueuer.pending)
                gaps += drift.gaps(chunk.scenes, gaps)
                result.scenes_checked += len(chunk.scenes)
                result.ambiguous_count += chunk.ambiguous
                for gap in gaps:
                    result.count(gap)
                enqueuer.offer(drift.to_enqueue(gaps))
                self._report(_PLEX_SHARE + _SCENES_SHARE * pager.progress())
            if self._scope == "all" and self.queue is not None:
                self._forget_gone(result, set(sync_timestamps) - seen)
        except sqlite3.Error as exc:
            # The queue or the path index file: retrying in this run would not help.
            result.errors.append(f"local database error, run stopped: {exc}")
        except SceneFetchError as exc:
            result.errors.append(
                f"Stash: {exc}; run stopped after {result.scenes_checked} scene(s), "
                "the next run checks the rest"
            )

    def _forget_gone(self, result: GapDetectionResult, candidates: set[int]) -> None:
        """After a complete walk over every scene: forget the synced scenes Stash no longer
        has (reconciliation/gone.py). A Stash error forgets nothing."""
        if not candidates:
            return
        result.stash_requests_extra += 1
        try:
            gone = confirm_gone(self.stash, candidates)
        except Exception as exc:  # any stashapi-like client: its errors are not ours to know
            lines = str(exc).strip().splitlines()
            text = (lines[0] if lines else "") or type(exc).__name__
            result.errors.append(f"Stash: checking scenes gone from Stash failed: {text[:300]}")
            return
        forget_gone(self.queue, self.data_dir, gone)
        result.forgotten_count = len(gone)

    def _batches(self, scenes: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        iterator = iter(scenes)
        while batch := list(itertools.islice(iterator, self.page_size)):
            yield batch

    def _detect(
        self, chunk: PlexBatch, sync_timestamps: dict[int, float], plex_checked: bool
    ) -> list[GapResult]:
        gaps: list[GapResult] = []
        if plex_checked:
            gaps += self.detector.detect_empty_metadata(chunk.scenes, chunk.plex_metadata)
        gaps += self.detector.detect_stale_syncs(chunk.scenes, sync_timestamps)
        if plex_checked and not bool(_setting(self.config, "reconcile_skip_missing", False)):
            missing = self.detector.detect_missing(
                chunk.scenes, sync_timestamps, chunk.matched_paths
            )
            # Noted as not in Plex and still absent: the user asked to leave them alone.
            gaps += [g for g in missing if g.scene_id not in self._not_in_plex]
        return gaps

    def _queue_moved(self, chunk: PlexBatch, result: GapDetectionResult, pending: set[int]) -> None:
        """A noted scene whose file moved in Stash to where Plex has it: its noted paths are
        old, but this run's matching finds it (matched, or ambiguous: in Plex either way)."""
        moved = []
        for scene in chunk.scenes:
            scene_id = scene_id_of(scene)
            if scene_id in self._not_in_plex and first_file_path(scene) in chunk.matched_paths:
                self._not_in_plex.discard(scene_id)
                moved.append(scene_id)
        self._queue_found(moved, result, pending)
        result.not_in_plex_count -= len(moved)

    def _queue_found(self, found: list[int], result: GapDetectionResult, pending: set[int]) -> None:
        result.in_plex_now_count += len(found)
        chosen = [sid for sid in found if sid not in pending]
        if self.queue is not None and chosen:
            put_scenes(self.queue, chosen)
            result.enqueued_count += len(chosen)
            pending.update(chosen)

    def _check_not_in_plex(self, result: GapDetectionResult, pending: set[int]) -> None:
        """ignore_not_in_plex: queue the scenes the worker noted as not in Plex whose file
        the refreshed index holds now (whatever the scope: Plex scanning a file by itself
        does not touch the scene in Stash); remember the rest, left out of `missing`."""
        from sync_queue.sync_state import SyncStateStore

        if self.index is None:
            return
        with SyncStateStore(self.data_dir) as store:
            noted = store.not_in_plex()
        found: list[int] = []
        for scene_id, paths in sorted(noted.items()):
            if any(self.index.by_path(path) for path in paths):
                found.append(scene_id)
            else:
                self._not_in_plex.add(scene_id)
        result.not_in_plex_count = len(self._not_in_plex)
        self._queue_found(found, result, pending)

    # -- Plex ----------------------------------------------------------------------------------

    def _connect_to_plex(self) -> PlexClient:
        """A connected `PlexClient` (stable identity, no plexapi auto-reload).

        Raises PlexServerDown when Plex cannot be reached, PlexAuthError when it refuses the
        token, ConfigError when plex_url/plex_token are unusable.
        """
        from plex.opener import open_plex

        client = open_plex(self.config, self.data_dir)
        self.client = client
        client.connect()
        return client

    def _prepare_plex(self, result: GapDetectionResult) -> bool:
        """Connect, refresh the path index once, set up the run's matcher; False when Plex
        cannot be used (the error is in `result.errors`)."""
        try:
            client = self._connect_to_plex()
            from plex.index import PathIndex

            self.index = PathIndex(self.data_dir, clock=self.clock)
            sections = client.sections(_library_names(self.config))
            report = self.index.refresh(client, sections, full=self.full_listing)
            _log.debug(
                "Plex path index: %d item(s); full %s, incremental %s, %d listing request(s)",
                len(self.index),
                report.full_sections,
                report.incremental_sections,
                report.requests,
            )
            self._matcher = RunMatcher(
                self.index, _mapper(self.config), use_basename=self._scope == "all"
            )
        except (PlexError, ConfigError) as exc:
            result.errors.append(
                f"Plex: {exc} — only stale syncs were checked; empty metadata and missing "
                "scenes are checked by the next run"
            )
            return False
        return True

    def _build_plex_data(
        self, scenes: Iterable[dict[str, Any]], sync_timestamps: dict[int, float]
    ) -> Iterator[PlexBatch]:
        """Detector inputs for `scenes`, one `PlexBatch` per batch of `page_size` scenes,
        then one for the scenes only the whole run can settle (see reconciliation.plexdata).
        Every scene appears in exactly one yielded batch."""
        for batch in self._batches(scenes):
            yield self._process_scene_batch(batch, sync_timestamps)
        yield self._require_matcher().finish(sync_timestamps)

    def _process_scene_batch(
        self, batch: list[dict[str, Any]], sync_timestamps: dict[int, float]
    ) -> PlexBatch:
        """One batch against the path index: matched paths and Plex metadata per scene."""
        return self._require_matcher().process(batch, sync_timestamps)

    def _require_matcher(self) -> RunMatcher:
        if self._matcher is None:
            raise RuntimeError("the Plex path index is not loaded (call _prepare_plex first)")
        return self._matcher

    def _close_plex(self, result: GapDetectionResult) -> None:
        if self.client is not None:
            result.plex_requests = self.client.requests_made.total
            self.client.close()
        if self.index is not None:
            self.index.close()
        self.client, self.index, self._matcher = None, None, None

    def _report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0))
