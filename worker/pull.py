"""The Plex → Stash activity pull (issue 18): plays, resume points and ratings come back.

One pull: the history read to its end (1,000 views per request, stored once by historyKey,
the mark advanced only after the last page), one in-progress and one rated listing per
synced section, the concerned scenes read from Stash in one request, then per scene only the
writes that change something (`plex.activity_plan` decides). Runs from Pull Plex Activity and
at the start of every worker run while `pull_plays` or `pull_ratings` is on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from base.timestamps import parse_rfc3339
from plex import history
from plex.activity_plan import (
    RATING_FIELD,
    missing_plays,
    plan_rating,
    plan_resume,
    stash_time,
)
from runtime import voice
from stash import plays
from sync_queue.plex_activity import HISTORY_MARK, RATED_MARK, PlexActivityStore, StoredView
from sync_queue.sync_state import SceneSyncState, SyncStateStore
from validation.desired import rating_from_rating100
from validation.fingerprint import fingerprint_value
from worker.pull_report import PULL_TASK, PullReport

__all__ = [
    "PULL_TASK",
    "PullReport",
    "parse_accounts",
    "pull_activity",
    "pull_for_run",
    "wants_pull",
]


def parse_accounts(text: str, names: Callable[[], Mapping[str, int]]) -> tuple[set[int], list[str]]:
    """`plex_accounts` → account ids (empty: the owner, 1) and the names Plex does not know.
    `names` is asked (one `/accounts` request) only when a name is configured."""
    ids: set[int] = set()
    wanted: list[str] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if part.isdigit():
            ids.add(int(part))
        elif part:
            wanted.append(part)
    unknown: list[str] = []
    if wanted:
        known = names()
        for name in wanted:
            if name.casefold() in known:
                ids.add(known[name.casefold()])
            else:
                unknown.append(name)
    if not ids and not unknown:
        ids.add(history.OWNER_ACCOUNT)
    return ids, unknown


def pull_activity(
    *,
    client: Any,
    stash: Any,
    sync_state: SyncStateStore,
    config: Any,
    queue_add: Callable[[list[int]], object],
    log: Any,
    clock: Callable[[], float],
) -> PullReport:
    """One pull with the run's Plex client and Stash gateway; see the module docstring."""
    report = PullReport(at=clock())
    before = _requests(client)
    store = sync_state.plex_activity()
    accounts, report.unknown_accounts = parse_accounts(
        str(getattr(config, "plex_accounts", "") or ""), lambda: history.read_accounts(client)
    )
    if report.unknown_accounts:
        log.warning(
            voice.line(
                f"{PULL_TASK}: Plex has no account named "
                f"{', '.join(report.unknown_accounts)}; check the 'plex_accounts' setting "
                "(account ids or names, comma-separated)"
            )
        )
    items = sync_state.synced_items()
    scenes_of: dict[int, list[int]] = {}
    items_of: dict[int, list[int]] = {}
    for scene_id, _, rating_key in items:
        scenes_of.setdefault(rating_key, []).append(scene_id)
        items_of.setdefault(scene_id, []).append(rating_key)
    sections = sorted({section for _, section, _ in items})

    pending: dict[int, list[StoredView]] = {}
    progress: dict[int, list[tuple[int, int | None]]] = {}
    if config.pull_plays:
        report.new_views = _read_history(client, store)
        for view in store.pending(accounts):
            for scene_id in scenes_of.get(view.rating_key, ()):
                pending.setdefault(scene_id, []).append(view)
        for entry in history.in_progress(client, sections) if sections else []:
            for scene_id in scenes_of.get(entry.rating_key, ()):
                progress.setdefault(scene_id, []).append(
                    (entry.view_offset_ms, entry.last_viewed_at)
                )
    rated: dict[int, dict[int, float | None]] = {}
    rated_at: dict[int, int] = {}
    rated_mark = store.mark(RATED_MARK)
    newest_rated = rated_mark
    if config.pull_ratings and sections:
        listed = history.rated_since(client, sections, max(rated_mark - 1, 0))
        for entry in listed:
            for scene_id in scenes_of.get(entry.rating_key, ()):
                rated.setdefault(scene_id, {})[entry.rating_key] = entry.user_rating
            rated_at[entry.rating_key] = entry.last_rated_at or 0
        newest_rated = max((e.last_rated_at or 0 for e in listed), default=rated_mark)
    states = sync_state.get_many(rated) if rated else {}
    pushes = not getattr(config, "skip_rating", False)
    decisions = {
        sid: plan_rating(
            ratings,
            states[sid].baselines,
            states[sid].fingerprints.get(RATING_FIELD),
            None,  # Stash's side is compared below, once the scene is read
            pushes,
        )
        for sid, ratings in rated.items()
        if sid in states
    }
    wanted = (
        set(pending)
        | set(progress)
        | {sid for sid, d in decisions.items() if d.pull or d.stash_wins}
    )
    report.plex_requests = _requests(client) - before
    if not wanted:
        _advance(store, RATED_MARK, rated_mark, newest_rated)
        return report
    version = tuple(getattr(stash, "version_info", (0, 0, 0)))
    scenes = stash.scenes_by_ids(sorted(wanted), fragment=plays.activity_fragment(version))
    writer = _SceneWriter(stash, store, sync_state, report, version, log)
    for scene_id in sorted(wanted):
        scene = scenes.get(scene_id)
        if scene is None:
            continue
        writer.plays(scene, pending.get(scene_id, []))
        views = store.views_of(items_of.get(scene_id, ()), accounts)
        newest_view = max((v.viewed_at for v in views), default=None)
        writer.resume(scene, progress.get(scene_id, []), newest_view, pending.get(scene_id))
        if scene_id in rated and scene_id in states:
            decision = plan_rating(
                rated[scene_id],
                states[scene_id].baselines,
                states[scene_id].fingerprints.get(RATING_FIELD),
                scene.get("rating100"),
                pushes,
                rated_at,
            )
            writer.rating(scene, states[scene_id], decision, queue_add, pushes)
    # Only now: a pull stopped before its rating writes lists the same items again.
    _advance(store, RATED_MARK, rated_mark, newest_rated)
    return report


def _advance(store: PlexActivityStore, key: str, mark: int, newest: int) -> None:
    if newest > mark:
        store.set_mark(key, newest)


def _read_history(client: Any, store: PlexActivityStore) -> int:
    """Read every view after the mark (the mark's own second again: views sharing it are
    told apart by historyKey); the mark moves only after the last page was stored."""
    mark = store.mark(HISTORY_MARK)
    read = history.read_history(client, max(mark - 1, 0))
    new = store.add_views(
        StoredView(v.history_key, v.rating_key, v.account_id, v.viewed_at) for v in read.views
    )
    if read.newest > mark:
        store.set_mark(HISTORY_MARK, read.newest)
    return new


def _requests(client: Any) -> int:
    counts = getattr(client, "requests_made", None)
    return int(getattr(counts, "total", 0) or 0)


class _SceneWriter:
    """The Stash writes of one pull, each followed by its bookkeeping."""

    def __init__(
        self,
        stash: Any,
        store: PlexActivityStore,
        sync_state: SyncStateStore,
        report: PullReport,
        version: tuple[int, ...],
        log: Any,
    ) -> None:
        self.stash = stash
        self.store = store
        self.sync_state = sync_state
        self.report = report
        self.with_history = plays.has_play_history(tuple(version))  # type: ignore[arg-type]
        self.intents = store.count_intents()
        self.log = log

    def plays(self, scene: Mapping[str, Any], views: list[StoredView]) -> None:
        if not views:
            return
        scene_id = int(scene["id"])
        keys = [v.history_key for v in views]
        if self.with_history:
            # Only what Stash's history lacks: a pull killed after sceneAddPlay and before
            # the bookkeeping adds nothing twice.
            missing = missing_plays((v.viewed_at for v in views), scene.get("play_history") or [])
            if missing:
                plays.add_plays(self.stash, scene_id, [stash_time(t) for t in missing])
                self.report.stash_writes += 1
            self.store.mark_delivered(keys)
            added = len(missing)
        else:
            current = int(scene.get("play_count") or 0)
            intent = self.intents.get(scene_id)
            if intent is not None and current >= intent[1]:
                current -= intent[1] - intent[0]  # that write happened; its views are these
            target = current + len(views)
            self.store.begin_count(scene_id, current, target)
            plays.set_play_count(self.stash, scene_id, target)
            self.report.stash_writes += 1
            self.store.end_count(scene_id, keys)
            added = len(views)
        if added:
            self.report.plays_added += added
            self.report.play_scenes.append(voice.scene_ref(scene_id, scene.get("title")))

    def resume(
        self,
        scene: Mapping[str, Any],
        offsets: list[tuple[int, int | None]],
        newest_view: int | None,
        fresh: Iterable[StoredView] | None,
    ) -> None:
        value = plan_resume(
            offsets, newest_view, scene.get("resume_time"), scene.get("last_played_at")
        )
        if value is None:
            return
        if value == 0.0 and not fresh and not offsets:
            return  # only a view delivered in this pull clears a resume point
        scene_id = int(scene["id"])
        plays.save_resume(self.stash, scene_id, value)
        self.report.stash_writes += 1
        if value > 0:
            self.report.resume_set += 1
        else:
            self.report.resume_cleared += 1
        self.report.resume_scenes.append(voice.scene_ref(scene_id, scene.get("title")))

    def rating(
        self,
        scene: Mapping[str, Any],
        state: SceneSyncState,
        decision: Any,
        queue_add: Callable[[list[int]], object],
        pushes: bool,
    ) -> None:
        scene_id = int(scene["id"])
        ref = voice.scene_ref(scene_id, scene.get("title"))
        if decision.stash_wins:
            queue_add([scene_id])
            self.report.stash_wins.append(ref)
            self.log.info(
                voice.line(
                    f"Scene {ref}: rated in Plex and in Stash since the last sync; Stash's "
                    "rating wins and goes back to Plex"
                )
            )
            return
        if not decision.pull:
            return
        updated_at = scene.get("updated_at")
        if decision.rating100 != scene.get("rating100"):
            written = plays.set_rating(self.stash, scene_id, decision.rating100)
            self.report.stash_writes += 1
            self.report.ratings_pulled += 1
            self.report.rating_scenes.append(ref)
            state = _after_rating(state, updated_at, written.get("updated_at"))
        baselines = {rk: dict(base) for rk, base in state.baselines.items()}
        for rating_key, seen in (decision.baseline or {}).items():
            baselines.setdefault(rating_key, {})[RATING_FIELD] = seen
        fingerprints = dict(state.fingerprints)
        pushed = rating_from_rating100(decision.rating100)
        if pushes and pushed is not None:
            fingerprints[RATING_FIELD] = fingerprint_value(pushed)
        else:  # nothing of ours in Plex's field now (plex.diff drops a cleared field's too)
            fingerprints.pop(RATING_FIELD, None)
        # What Plex holds is now what Stash holds: the next diff finds the field converged
        # (no Plex write), and the catch-up does not count our own rating write as work.
        self.sync_state.put_many([replace(state, fingerprints=fingerprints, baselines=baselines)])


def _after_rating(state: SceneSyncState, before: object, after: object) -> SceneSyncState:
    """Our rating write moved `updated_at`: a scene fully synced at the version before it is
    fully synced at the new one (nothing else changed); otherwise its pending change stays."""
    if not isinstance(after, str) or state.updated_at is None:
        return state
    synced, seen = parse_rfc3339(state.updated_at), parse_rfc3339(before)
    if synced is None or seen is None or synced != seen:
        return state
    return replace(state, updated_at=after, updated_at_epoch=None)


def wants_pull(config: Any, task: str) -> bool:
    """A worker run pulls while a pull setting is on; the task says so when both are off."""
    return bool(config.pull_plays or config.pull_ratings) or task == PULL_TASK


def pull_for_run(run: Any, plex_step: Callable[[], Any]) -> dict[str, object]:
    """The pull at the start of a worker run (`run`: worker.loop.WorkerRun) with its Plex
    step's client (`plex_step()`, asked only when a setting is on; None: Plex not usable now,
    e.g. the circuit is open). Returns the report for the run's summary (empty: no pull). A
    failure is one warning: the run goes on, the next run tries again (the history mark has
    not moved, every stored view is still pending)."""
    from base.errors import PlexError, StashError

    config, log = run.config, run.log
    if not (config.pull_plays or config.pull_ratings):
        log.info(
            voice.line(
                f"{PULL_TASK}: nothing to pull; turn on 'pull_plays' (plays and resume points) "
                "or 'pull_ratings' (ratings) in the plugin settings"
            )
        )
        return {}
    client = getattr(plex_step(), "client", None)
    if client is None:
        return {}
    try:
        report = pull_activity(
            client=client,
            stash=run.stash,
            sync_state=run.sync_state,
            config=config,
            queue_add=run.queue.add_many,
            log=log,
            clock=run.clock,
        )
    except (PlexError, StashError) as exc:
        log.warning(
            voice.line(
                f"{PULL_TASK} stopped: {exc}; nothing is lost, the next run pulls again",
            )
        )
        return {}
    run.sync_state.plex_activity().save_report(report.as_dict())
    # Every Process Queue run pulls: a pull that brought nothing stays out of the info log,
    # unless the user asked for this pull.
    if report.brought or run.summary.task == PULL_TASK:
        log.info(report.line())
    else:
        log.debug(report.line())
    return report.as_dict()
