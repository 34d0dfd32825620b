"""The worker's Plex step: a batch of Stash scenes → desired state → Plex items → writes → outcomes.

Per batch: desired state (`build_desired`; a scene with nothing meaningful is not pushed),
targets (stored keys, verified by the one multi-fetch the writer needs anyway; else the path
index, refreshed at most once per run on a miss), scans for files Plex has not indexed yet,
one `PlexWriter.write` per scene (up to `plex_parallel_writes` at once on the run's pool,
`worker.parallel`; recorded in the batch's order), the written items fetched once more (≤ 100
keys per request) for their post-write baselines (`plex.baseline`: what Plex stored, which an
edit's empty 200 cannot tell), and every new `SceneSyncState` stored in one transaction before
the outcomes go back to the worker. Import only after `plex.opener.open_plex` (it prepares
plexapi's environment; `worker.services.default_plex_step` does both in order).
Over 400 lines: the batch's phases (targets, the pool's callback, recording in order) share
its state; what can stand alone lives apart: the post-write baselines in `worker.converge`,
the pool and the cover budget in `worker.parallel` and `worker.cover_budget`, a written
scene's new state in `worker.scene_record`, scenes without a target in `worker.unmatched`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from base.errors import ConfigError, PlexAuthError, PlexError, PlexServerDown
from base.status import SceneStatus
from plex.client import PlexClient, fetch_chunks
from plex.diff import preserved_fields
from plex.errors import PlexWritesRefused
from plex.index import PathIndex
from plex.items import PlexItemSnapshot
from plex.matching import SceneFiles
from plex.resolve import Resolution, TargetResolver, stash_lookup
from plex.scans import ScanLedger
from plex.writer import PlexWriter, WriteResult, WriteTask
from stash.log import StashLog
from sync_queue.refusals import StoredRefusal
from sync_queue.sync_state import SceneSyncState
from validation.desired import DesiredItem, DesiredOptions, Skip, build_desired
from worker.converge import fetch_baselines
from worker.cover_budget import CoverBudget
from worker.outcomes import OutageStreak, Outcome
from worker.parallel import ParallelWrites
from worker.refusal_streak import RefusalStreak
from worker.scene_record import new_sync_state
from worker.step import StepContext
from worker.unmatched import found_in_plex, unmatched_outcome

__all__ = ["PlexSyncStep", "build_plex_step"]


# `PlexSyncStep.counts` names per status (bench and tests read them).
_COUNTERS = {
    SceneStatus.SYNCED: "synced",
    SceneStatus.UNCHANGED: "unchanged",
    SceneStatus.COVER_PENDING: "cover_pending",
    SceneStatus.PLEX_REFUSED: "failed",
    SceneStatus.NOT_SCANNED: "not_scanned",
    SceneStatus.OUTSIDE_LIBRARIES: "outside",
    SceneStatus.AMBIGUOUS: "ambiguous",
    SceneStatus.NO_FILES: "skipped",
    SceneStatus.OPTIMIZED_COPY: "optimized_copy",
}


# What the ignore_not_in_plex setting counts as "not in Plex".
_NOT_IN_PLEX = (SceneStatus.NOT_SCANNED, SceneStatus.OUTSIDE_LIBRARIES)


@dataclass
class _Scene:
    scene_id: int
    raw: dict[str, Any]
    desired: DesiredItem
    files: SceneFiles
    previous: SceneSyncState | None = None
    refused: tuple[StoredRefusal, ...] = ()  # remembered refusals of edits (plex.refusals)


class PlexSyncStep:
    """`worker.step.PlexStep` for the real Plex (one instance per worker run)."""

    def __init__(
        self,
        client: PlexClient,
        index: PathIndex,
        resolver: TargetResolver,
        writer: PlexWriter,
        scans: ScanLedger,
        *,
        options: DesiredOptions,
        skip_plex_scan: bool = False,
        ignore_not_in_plex: bool = False,
        clock: Callable[[], float],
        writes: ParallelWrites[int, WriteResult] | None = None,
    ) -> None:
        self.client = client
        # The run's pool and in-flight limit (issue 20); one thread: the sequential plugin.
        self.writes = writes or ParallelWrites(1, client.limit, CoverBudget())
        self.index = index
        self.resolver = resolver
        self.writer = writer
        self.scans = scans
        self.options = options
        self.skip_plex_scan = skip_plex_scan
        self.ignore_not_in_plex = ignore_not_in_plex
        self.clock = clock
        self.counts: dict[str, int] = {}
        self.outage = OutageStreak()  # the run's one outage streak (worker.outcomes)
        self._streak_from = 0  # jobs started when the streak's first failure came in
        self.refusals = RefusalStreak()  # items in a row refusing every write
        self._log: StashLog | None = None

    @property
    def requests_made(self) -> int:
        return self.client.requests_made.total

    def health_check(self) -> None:
        """`GET /library/sections`: cheap, and answered only for a valid token."""
        self.client.all_sections()

    def close(self) -> None:
        self.writes.close()
        self.index.close()
        self.client.close()

    def _fetch(self, rating_keys: Iterable[int]) -> dict[int, PlexItemSnapshot]:
        """Full items, ≤ 100 keys per request, the requests in parallel on the run's pool."""
        return self.writes.map_ordered(self.client.fetch_items, fetch_chunks(rating_keys))

    # -- the batch ----------------------------------------------------------------------------

    def process(self, scenes: list[dict[str, Any]], ctx: StepContext) -> dict[int, Outcome]:
        """One batch: an outcome per scene, in order; the batch's new sync states stored in
        one transaction before returning (this step is the one writer of sync states).

        Once the run's outage streak trips (`self.outage`), every outage retry of the batch
        becomes a block and the scenes not yet processed are left out (the worker releases
        them untouched)."""
        outcomes: dict[int, Outcome] = {}
        batch: list[_Scene] = []
        for raw in scenes:
            desired = build_desired(raw, self.options)
            if isinstance(desired, Skip):
                if desired.scene_id is not None:
                    outcomes[desired.scene_id] = self._count(
                        Outcome(desired.status, desired.detail), "skipped"
                    )
                continue
            files = SceneFiles.from_stash(raw) or SceneFiles(desired.scene_id, ())
            batch.append(_Scene(desired.scene_id, raw, desired, files))
        if not batch:
            return outcomes
        stored = ctx.sync_state.get_many(s.scene_id for s in batch)
        remembered = ctx.sync_state.refusals(s.scene_id for s in batch)
        for scene in batch:
            scene.previous = stored.get(scene.scene_id)
            scene.refused = remembered.get(scene.scene_id, ())
        states: list[SceneSyncState] = []
        refusals: dict[int, tuple[StoredRefusal, ...]] = {}
        notes: dict[int, list[str]] = {}
        self._log = ctx.log
        refreshes = len(self.resolver.reports)
        try:
            self._process(batch, outcomes, states, notes, refusals)
            states[:] = fetch_baselines(self._fetch, states)
        except PlexWritesRefused as exc:
            # A token that can read but not write: the streak's scenes are not theirs to
            # fail; they are released with the rest, their refusals not remembered.
            self._undo_streak(ctx, outcomes, states, refusals)
            failed = Outcome.from_error(exc, whole_batch=True)
            for sid in [s.scene_id for s in batch if s.scene_id not in outcomes]:
                outcomes[sid] = failed
            self.outage.see(failed)
        except (PlexError, ConfigError) as exc:
            # A request the whole batch shared (listing, multi-fetch, scan) or Plex gone:
            # every scene without an outcome gets the error's.
            failed = Outcome.from_error(exc, whole_batch=True)
            rest = [s.scene_id for s in batch if s.scene_id not in outcomes]
            for sid in rest:
                outcomes[sid] = failed
            self.outage.see_all(outcomes[sid] for sid in rest)
        finally:
            if states:
                ctx.sync_state.put_many(states)  # one transaction per batch
            if refusals:
                ctx.sync_state.replace_refusals(refusals)
            if notes:
                ctx.sync_state.note_not_in_plex(notes)
            if self.ignore_not_in_plex and len(self.resolver.reports) > refreshes:
                found_in_plex(ctx, self.index, {s.scene_id for s in batch})
            for report in self.resolver.reports[refreshes:]:
                ctx.log.debug(
                    f"Plex path index refreshed: full {report.full_sections}, incremental "
                    f"{report.incremental_sections}, {report.requests} listing request(s), "
                    f"{report.items_stored} item(s) stored"
                )
        return self.outage.settle(outcomes)

    def _process(
        self,
        batch: list[_Scene],
        outcomes: dict[int, Outcome],
        states: list[SceneSyncState],
        notes: dict[int, list[str]],
        refusals: dict[int, tuple[StoredRefusal, ...]],
    ) -> None:
        """Matched scenes are written on the run's pool (`worker.parallel`): the streaks see
        each as it finishes; then everything is recorded in the batch's order, so outcomes
        and sync states are those of a sequential run over the scenes that were written."""
        resolutions, snapshots = self._resolve(batch)
        self._scan([resolutions[s.scene_id] for s in batch])
        matched = [s for s in batch if resolutions[s.scene_id].status is SceneStatus.MATCHED]
        finished: dict[int, tuple[WriteResult | None, BaseException | None]] = {}
        stop: list[BaseException] = []  # what ends the run (Plex gone, writes refused)

        def done(
            sid: int, result: WriteResult | None, error: BaseException | None, at: int
        ) -> bool:
            scene = by_id[sid]
            if result is not None and result.status is SceneStatus.ITEM_GONE and result.stale_keys:
                try:  # on this thread: the resolver's index is not shared with the pool
                    result = self._rewrite(scene, result, snapshots)
                except Exception as exc:
                    result, error = None, exc
                finally:
                    self.writes.budget.release()
            finished[sid] = (result, error)
            if isinstance(error, (PlexServerDown, PlexAuthError, ConfigError)):
                stop.append(error)  # the run stops: this scene and the rest are blocked
                return True
            outcome = Outcome.from_error(error) if error else self._outcome(result, count=False)  # type: ignore[arg-type]
            if result is not None and not (stop and (result.edits or result.uploads)):
                try:
                    self.refusals.see(sid, result)  # raises once it trips
                except PlexWritesRefused as exc:
                    stop.append(exc)
            # Cover downloads go one at a time (worker.cover_budget): Stash's failures never
            # happen together, each is its own event; Plex's may be in flight together.
            event = (
                not outcome.is_outage
                or outcome.status is not SceneStatus.PLEX_ERROR
                or self.writes.outage_event(at)
            )
            # A success of a scene that started before the streak's first failure was in
            # progress with it: it says nothing of now and does not end the streak.
            fresh = self.writes.started_since(sid, self._streak_from)
            streak = self.outage.count
            tripped = self.outage.see(outcome, new_event=event, fresh=fresh)
            if streak == 0 and self.outage.count:
                self._streak_from = self.writes.submitted
            return tripped or bool(stop)

        by_id = {s.scene_id: s for s in matched}
        jobs = [
            (
                s.scene_id,
                partial(self.writer.write, self._task(s, resolutions[s.scene_id]), snapshots),
            )
            for s in matched
        ]
        self.writes.run(jobs, done)
        # Scenes after the last one started are left out when the batch stopped early.
        last = max((i for i, s in enumerate(batch) if s.scene_id in finished), default=-1)
        cut = bool(stop) or self.outage.tripped or len(finished) < len(matched)
        for i, scene in enumerate(batch):
            res = resolutions[scene.scene_id]
            if cut and i > last:
                break
            if self.ignore_not_in_plex and res.status in _NOT_IN_PLEX:
                # Counted, never scanned, failed or retried; noted with its files as Plex
                # would name them, so reconciliation queues it once the index has one.
                notes[scene.scene_id] = [self.resolver.mapper(p) for p, _ in scene.files.files]
                outcomes[scene.scene_id] = self._count(
                    Outcome(SceneStatus.NOT_IN_PLEX, res.reason), "not_in_plex"
                )
            elif res.status is not SceneStatus.MATCHED:
                outcome = unmatched_outcome(res, skip_plex_scan=self.skip_plex_scan)
                outcomes[scene.scene_id] = self._count(
                    outcome, _COUNTERS.get(outcome.status, "skipped")
                )
            elif scene.scene_id in finished:
                result, error = finished[scene.scene_id]
                if result is None:
                    if not isinstance(error, (PlexServerDown, PlexAuthError, ConfigError)):
                        outcomes[scene.scene_id] = Outcome.from_error(error)  # type: ignore[arg-type]
                    continue  # else blocked with the rest of the batch (process)
                state = new_sync_state(
                    scene.raw,
                    scene.desired,
                    scene.previous,
                    res.targets,
                    result,
                    snapshots,
                    self.clock(),
                )
                if state is not None:
                    states.append(state)
                if scene.refused or result.refusals:
                    refusals[scene.scene_id] = result.refusals
                outcomes[scene.scene_id] = self._outcome(result)
        if stop:
            raise stop[0]

    # -- targets ------------------------------------------------------------------------------

    def _resolve(
        self, batch: list[_Scene]
    ) -> tuple[dict[int, Resolution], dict[int, PlexItemSnapshot]]:
        trusted = {s.scene_id: s for s in batch if s.previous is not None and s.previous.targets}
        resolutions = self.resolver.match([s.files for s in batch if s.scene_id not in trusted])
        keys = [rk for s in trusted.values() for _, rk in s.previous.targets]  # type: ignore[union-attr]
        keys += [rk for r in resolutions.values() for _, rk in r.targets]
        snapshots = self._fetch(keys)
        again: list[_Scene] = []
        again_ids: set[int] = set()
        gone: set[int] = set()
        for sid, scene in trusted.items():
            targets = scene.previous.targets  # type: ignore[union-attr]
            missing = {rk for _, rk in targets if rk not in snapshots}
            if not missing and all(
                self.resolver.verify(scene.files, snapshots[rk]) for _, rk in targets
            ):
                resolutions[sid] = Resolution(sid, SceneStatus.MATCHED, targets, "stored")
            else:
                gone |= missing
                again.append(scene)
                again_ids.add(sid)
        for scene in batch:
            res = resolutions.get(scene.scene_id)
            if res is not None and res.how != "stored" and scene.scene_id not in again_ids:
                missing = {rk for _, rk in res.targets if rk not in snapshots}
                if missing:
                    gone |= missing
                    again.append(scene)
        if again:
            # Stale keys: forget them, then match once more (the run's one refresh on a miss).
            self.resolver.drop(gone)
            self.resolver.refresh_once()
            resolutions.update(self.resolver.match([s.files for s in again]))
            fresh = [
                rk
                for s in again
                for _, rk in resolutions[s.scene_id].targets
                if rk not in snapshots
            ]
            snapshots.update(self._fetch(fresh))
        return resolutions, snapshots

    def _rewrite(
        self, scene: _Scene, result: WriteResult, snapshots: dict[int, PlexItemSnapshot]
    ) -> WriteResult:
        """An item vanished between fetch and write: resolve the scene once more (still
        gone: `ITEM_GONE` without stale keys, retried by the worker)."""
        self.resolver.drop(result.stale_keys)
        self.resolver.refresh_once()
        res = self.resolver.match([scene.files])[scene.scene_id]
        if res.status is not SceneStatus.MATCHED:
            return WriteResult(scene.scene_id, SceneStatus.ITEM_GONE, result.message)
        snapshots.update(self._fetch(rk for _, rk in res.targets))
        again = self.writer.write(self._task(scene, res), snapshots)
        if again.status is SceneStatus.ITEM_GONE:
            return WriteResult(scene.scene_id, SceneStatus.ITEM_GONE, again.message)
        return again

    @staticmethod
    def _task(scene: _Scene, res: Resolution) -> WriteTask:
        prev = scene.previous
        return WriteTask(
            scene.desired,
            res.targets,
            dict(prev.fingerprints) if prev else {},
            frozenset(prev.targets) if prev else frozenset(),
            baselines=dict(prev.baselines) if prev else {},
            refused=scene.refused,
        )

    def _undo_streak(
        self,
        ctx: StepContext,
        outcomes: dict[int, Outcome],
        states: list[SceneSyncState],
        refusals: dict[int, tuple[StoredRefusal, ...]],
    ) -> None:
        """Forget what the refusal streak's scenes recorded: this batch's outcomes, states
        and refusals are dropped; refusals stored by earlier batches of the run are forgotten."""
        ids = set(self.refusals.scene_ids)
        earlier = [sid for sid in ids if sid not in outcomes]
        for sid in ids:
            outcomes.pop(sid, None)
            refusals.pop(sid, None)
        states[:] = [s for s in states if s.scene_id not in ids]
        if earlier:
            ctx.sync_state.forget_refusals(earlier)

    # -- scenes without a target --------------------------------------------------------------

    def _scan(self, resolutions: Iterable[Resolution]) -> None:
        if self.skip_plex_scan or self.ignore_not_in_plex:
            return
        folders = [
            f for r in resolutions if r.status is SceneStatus.NOT_SCANNED for f in r.scan_folders
        ]
        if folders:
            report = self.scans.request(self.client, folders)
            self.counts["scans"] = self.counts.get("scans", 0) + len(report.requested)
            if report.requested and self._log is not None:  # the summary's waiting line says so
                self._log.debug(
                    f"Asked Plex to scan {len(report.requested)} folder(s) holding files it has"
                    " not indexed yet"
                )

    # -- results ------------------------------------------------------------------------------

    def _outcome(self, result: WriteResult, *, count: bool = True) -> Outcome:
        outcome = Outcome(result.status, result.message, written=result.written)
        return self._count(outcome, _COUNTERS.get(result.status, "retry")) if count else outcome

    def _count(self, outcome: Outcome, name: str) -> Outcome:
        self.counts[name] = self.counts.get(name, 0) + 1
        return outcome


def build_plex_step(ctx: StepContext, client: PlexClient) -> PlexSyncStep:
    """The real step for one worker run, from the run's settings and services, around the
    client `plex.opener.open_plex` opened (`worker.services.default_plex_step`)."""
    from plex.index import PathIndex
    from plex.pacing import AdaptiveLimit
    from plex.resolve import TargetResolver
    from plex.scans import ScanLedger
    from plex.writer import PlexWriter
    from validation.desired import DesiredOptions
    from worker.step_plex import PlexSyncStep

    config = ctx.config
    index = PathIndex(ctx.data_dir, clock=ctx.clock)
    resolver = TargetResolver(
        client,
        index,
        path_map=config.path_mapping,
        library=config.library_names,
        stash=stash_lookup(ctx.stash),
    )
    threads = config.plex_parallel_writes
    client.limit = AdaptiveLimit(threads)
    budget = CoverBudget()  # at most 64 MiB of covers held by the run's threads
    writer = PlexWriter(
        client,
        budget.source(ctx.stash.fetch_image),
        preserve_plex_edits=preserved_fields(config.preserve_plex_edits, config.pull_ratings),
    )
    return PlexSyncStep(
        client,
        index,
        resolver,
        writer,
        ScanLedger(ctx.data_dir, clock=ctx.clock),
        options=DesiredOptions.from_config(config),
        skip_plex_scan=config.skip_plex_scan,
        ignore_not_in_plex=config.ignore_not_in_plex,
        clock=ctx.clock,
        writes=ParallelWrites(threads, client.limit, budget),
    )
