"""The drain loop: one worker run from lock to summary (SPEC §2.2-§2.3, docs/worker.md).

Order: worker lock (a second worker exits at once) → wake marker deleted → settings (and
their snapshot) → a due automatic reconciliation → in-flight scenes of a killed run put back → due
inbox rows moved into the queue (entity rows as their scenes, worker/expand.py) → the
catch-up (scenes changed without a hook, worker/catchup.py) → per batch:
claim, fetch the scenes from Stash in one request, hand them to the Plex step, one outcome
switch per scene, inbox moved again (so an edit made meanwhile marks its scene dirty:
exactly one more run) → stop when nothing is due
(after a last look at the inbox with the wake marker deleted first), when the time slice is
used up (then the wake-up rule requests the continuation), or when Plex is unreachable
(circuit open, every unprocessed job released untouched, no continuation). A run that ends
with other Stash jobs waiting asks for one more run behind them (docs/worker.md). Nothing is
held across a Stash or Plex call but the OS lock; every queue change is one transaction.

Under 500 lines on purpose: the run's whole lifecycle and every way it stops stay in
one class, so the crash and outage guarantees can be read (and checked) in one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexServerDown,
    PlexTransient,
    Stash2PlexError,
    StashError,
    StashUnavailable,
)
from base.status import SceneStatus, Treatment, status_of_error
from reconciliation.auto import run_due_reconciliation
from runtime import voice
from runtime.circuit import Circuit
from runtime.context import Context
from runtime.wakeup import WORKER_TASK_NAME, clear_marker, wake_worker
from sync_queue.inbox import Inbox, InboxRow
from sync_queue.jobs import Job
from sync_queue.sync_state import SyncStateStore
from sync_queue.workqueue import WorkQueue
from validation.config import Stash2PlexConfig
from worker import outcomes as oc
from worker.catchup import ask_after_others, queue_changes, take_after_others
from worker.expand import EntityExpander, is_entity_kind
from worker.handover import FINISHING, RUNNING, acquire, write_phase
from worker.pull import pull_for_run, wants_pull
from worker.services import WorkerServices
from worker.step import PlexStep, StepContext
from worker.summary import (
    STOP_ANOTHER_WORKER,
    STOP_BLOCKED,
    STOP_CIRCUIT_OPEN,
    STOP_DONE,
    STOP_PAUSED,
    STOP_STASH_UNAVAILABLE,
    STOP_TIME_SLICE,
    RunSummary,
    save_last_run,
)

__all__ = ["Prepare", "RunSummary", "WorkerRun", "run_worker"]

DRAIN_CHUNK = 1000
# Called under the lock before the loop (Sync All / Sync Recent enqueue there); returns
# the number of scenes it added.
Prepare = Callable[["WorkerRun"], int]


def run_worker(
    ctx: Context,
    services: WorkerServices | None = None,
    *,
    prepare: Prepare | None = None,
    task: str = WORKER_TASK_NAME,
) -> dict[str, object]:
    """One worker run; returns the summary as the task's output.

    Raises ConfigError (settings unusable), PlexServerDown/PlexAuthError (Plex unreachable:
    every job stays queued) or StashUnavailable (Stash stopped answering) after logging the
    summary, so the task ends with one clear error line.
    """
    if services is None:
        services = ctx.services if isinstance(ctx.services, WorkerServices) else WorkerServices()
    data_dir = ctx.ensure_data_dir()
    lock = acquire(data_dir, services.timer, services.sleep)
    if lock is None:
        owner = f" ({owner})" if (owner := _owner(data_dir)) else ""
        ctx.log.info(f"{task}: another Stash2Plex worker is running{owner}; this one exits.")
        return {"task": task, "stopped": STOP_ANOTHER_WORKER}
    try:
        write_phase(data_dir, RUNNING)
        clear_marker(data_dir)
        after_others = take_after_others(data_dir)
        config = ctx.config()
        run = WorkerRun(ctx, services, config, task)
        run.summary.after_others_run = after_others
        try:
            run.execute(prepare)
        finally:
            run.close()
    finally:
        lock.release()
    return run.finish()


def _owner(data_dir: Any) -> str:
    from sync_queue.lock import worker_lock

    return worker_lock(data_dir).owner()


class WorkerRun:
    """The state of one run under the lock; `execute` is the loop."""

    def __init__(
        self, ctx: Context, services: WorkerServices, config: Stash2PlexConfig, task: str
    ) -> None:
        self.ctx = ctx
        self.log = ctx.log
        self.services = services
        self.config = config
        self.clock = services.clock
        self.started = services.timer()
        self.policy = services.policy or oc.RetryPolicy(max_retries=config.max_retries)
        self.summary = RunSummary(task=task)
        self.circuit = Circuit(ctx.data_dir)
        self.queue = WorkQueue(ctx.data_dir, clock=services.clock)
        self.inbox = Inbox(ctx.data_dir, busy_timeout=30.0)
        self.sync_state = SyncStateStore(ctx.data_dir, clock=services.clock)
        self._stash: Any = None
        self._stash_base = 0
        self._step: PlexStep | None = None
        self._step_ctx: StepContext | None = None
        self._error: Stash2PlexError | None = None
        self._warned_kinds: set[str] = set()
        self._caught_up: set[int] = set()
        self.expander = EntityExpander(lambda: self.stash, self.sync_state)

    # --- lifecycle --------------------------------------------------------------------------

    def execute(self, prepare: Prepare | None) -> None:
        run_due_reconciliation(self.ctx, self.config, now=self.clock())
        self.summary.resumed = self.queue.resume_in_flight()
        self.drain_inbox()
        if self.summary.stopped != STOP_DONE:
            return
        if prepare is not None:
            self.summary.enqueued = prepare(self)
            self.drain_inbox()
        if self.config.paused:
            self._stop(STOP_PAUSED, "the 'paused' setting is on: work is recorded, not pushed")
            return
        if wants_pull(self.config, self.summary.task):  # Plex → Stash activity (worker/pull.py)
            self.summary.pull = pull_for_run(self, self._ensure_step)
        self.catch_up()
        while self.summary.stopped == STOP_DONE:
            if not self._has_due() and not self._final_look():
                return
            step = self._ensure_step()
            if step is None:
                return
            jobs = self.queue.get_batch(self.services.batch_size)
            if not jobs:
                continue
            self.inbox.publish_queue_due(self.queue.next_due_at())
            self.process_batch(step, jobs)
            self._report_progress()
            used = self.services.timer() - self.started
            if used >= self.config.worker_time_slice and self._has_due():
                self._stop(STOP_TIME_SLICE, f"{self.config.worker_time_slice} s used")

    def close(self) -> None:
        """Release everything (also after errors): step, Stash session, databases."""
        for closer in (
            getattr(self._step, "close", None),
            getattr(self._stash, "close", None),
        ):
            if closer is not None:
                try:
                    closer()
                except Exception as exc:  # closing must never hide the run's own result
                    self.log.debug(f"closing: {type(exc).__name__}: {exc}")
        self.summary.plex_requests = int(getattr(self._step, "requests_made", 0) or 0)
        self.summary.stash_requests = self._stash_requests()
        counts = self.queue.counts(self.clock())
        self.summary.remaining = counts.queued + counts.processing
        self.summary.due_remaining = counts.due
        self.inbox.publish_queue_due(self.queue.next_due_at())
        for store in (self.queue, self.inbox, self.sync_state):
            store.close()

    def finish(self) -> dict[str, object]:
        """After the lock is released: continuation, summary lines and file, error."""
        summary = self.summary
        if summary.stopped == STOP_TIME_SLICE:
            summary.continuation = wake_worker(
                self.ctx.data_dir,
                self.ctx.invocation.server_connection,
                self.log,
                now=self.clock(),
                use_marker=False,
                plugin_dir=self.ctx.plugin_dir,
            )
        elif summary.stopped == STOP_DONE and (
            not summary.after_others_run or summary.caught_up_synced
        ):  # an "after others" run asks again only when its catch-up wrote to Plex: no loop
            summary.after_others = ask_after_others(
                self.ctx.data_dir,
                self.ctx.invocation.server_connection,
                self.log,
                self.clock(),
                self.ctx.plugin_dir,
            )
        summary.duration_s = self.services.timer() - self.started
        for level, line in summary.lines():
            self.log.log(level, line)
        try:
            save_last_run(self.ctx.data_dir, summary, self.clock(), self.log.redactor.redact_obj)
        except OSError as exc:
            self.log.warning(f"Could not save the run summary: {exc}")
        if self._error is not None:
            raise self._error
        return summary.as_output()

    # --- moving work in -------------------------------------------------------------------

    def catch_up(self) -> None:
        """Queue the scenes changed without a hook since the last look (worker/catchup.py).
        An open circuit is probed first: while Plex is down nothing is read."""
        if self.circuit.is_open() and self._ensure_step() is None:
            return
        try:
            found, fresh = queue_changes(
                self.stash, self.sync_state, self.queue, self.ctx.data_dir, self.log
            )
        except StashError as exc:
            self._stop(STOP_STASH_UNAVAILABLE, f"catching up on changes: {exc}")
            self._error = exc
            return
        self.summary.catch_up_requests = found.requests
        self.summary.caught_up = len(fresh)
        self._caught_up = set(fresh)

    def drain_inbox(self) -> int:
        """Move every due inbox row into the queue (scene; entity rows as their scenes) or
        apply it (scene_destroy). Stash failing to expand entity rows stops the run; the
        rows stay in the inbox (nothing of that chunk was taken)."""
        total, moved = 0, DRAIN_CHUNK
        while moved == DRAIN_CHUNK and self.summary.stopped != STOP_STASH_UNAVAILABLE:
            try:
                moved = self.inbox.drain_due(self.clock(), DRAIN_CHUNK, self._take_rows)
            except StashError as exc:
                self._stop(STOP_STASH_UNAVAILABLE, f"expanding entity changes: {exc}")
                self._error = exc
                moved = 0
            total += moved
        return total

    def _take_rows(self, rows: list[InboxRow]) -> None:
        # Entity rows first: their Stash requests happen before anything is committed, so a
        # Stash failure leaves the whole chunk in the inbox.
        expansion = self.expander.expand(rows)
        if expansion.entities:
            self.summary.add_expansion(expansion.entities, expansion.requests, expansion.scene_ids)
            self.log.info(expansion.describe())
        # Rows arrive in recording order: a destroy and a later re-creation of a reused id
        # must reach the queue in that order, so adds are flushed before each destroy.
        adds: list[int] = []
        for row in rows:
            if row.kind == "scene":
                adds.append(row.ref_id)
            elif row.kind == "scene_destroy":
                self.queue.add_many(adds)
                adds = []
                self.queue.drop(row.ref_id)
                self.sync_state.forget(row.ref_id)
                self.summary.destroyed += 1
            elif is_entity_kind(row.kind):
                continue  # expanded above
            elif row.kind not in self._warned_kinds:
                self._warned_kinds.add(row.kind)
                self.log.warning(f"Ignored recorded work of kind {row.kind!r} (not handled yet)")
        self.queue.add_many([*adds, *expansion.scene_ids])

    def add_scenes(self, scene_ids: list[int]) -> int:
        """Queue `scene_ids` (Sync All / Sync Recent); returns how many became pending."""
        added = 0
        for start in range(0, len(scene_ids), DRAIN_CHUNK):
            added += self.queue.add_many(scene_ids[start : start + DRAIN_CHUNK])
        return added

    # --- processing ------------------------------------------------------------------------

    @property
    def stash(self) -> Any:
        """The Stash gateway, connected on first use (a run with nothing to do never asks)."""
        if self._stash is None:
            self._stash = self.services.stash_factory(self.ctx)
            self._stash_base = self._stash_requests_raw()
        return self._stash

    def _ensure_step(self) -> PlexStep | None:
        if self._step is None:
            self._step_ctx = StepContext(
                config=self.config,
                log=self.log,
                data_dir=self.ctx.data_dir,
                sync_state=self.sync_state,
                stash=self.stash,
                clock=self.clock,
            )
            self._step = self.services.step_factory(self._step_ctx)
            if self.circuit.is_open() and not self._probe(self._step):
                return None
        return self._step

    def _probe(self, step: PlexStep) -> bool:
        """Open circuit: one health check. Closed again on success; else stop, untouched."""
        try:
            step.health_check()
        except (PlexServerDown, PlexAuthError, PlexTransient) as exc:  # a starting Plex: 503
            status = status_of_error(exc)
            self.circuit.open(status.value, str(exc), self.clock())
            self._stop(STOP_CIRCUIT_OPEN, f"{_block_phrase(status)} at the probe")
            self._error = _plex_error(status, str(exc), "every job stays queued", still=True)
            return False
        self.circuit.close()
        self.log.info("Plex answers again: circuit closed, processing resumes")
        return True

    def process_batch(self, step: PlexStep, jobs: list[Job]) -> None:
        self.summary.batches += 1
        by_id = {job.scene_id: job for job in jobs}
        try:
            scenes = self.stash.scenes_by_ids(list(by_id))
        except StashError as exc:
            for job in jobs:
                self.queue.release(job.scene_id)
            self.summary.released += len(jobs)
            self._stop(STOP_STASH_UNAVAILABLE, str(exc))
            self._error = exc
            return
        gone = [sid for sid in by_id if sid not in scenes]
        for sid in gone:
            self.queue.drop(sid)
        if gone:
            self.sync_state.forget_many(gone)
            self.summary.dropped += len(gone)
            self.log.info(f"{len(gone)} scene(s) no longer in Stash, forgotten: {gone[:10]}")
        present = [sid for sid in by_id if sid in scenes]
        if not present:
            return
        outcomes = self._run_step(step, [scenes[sid] for sid in present], by_id)
        # Edits recorded while the step ran reach the queue while their scenes are still in
        # flight: the contract's "add during processing" (done() then queues them once more).
        self.drain_inbox()
        titles = {sid: scenes[sid].get("title") for sid in present}
        self._apply(present, by_id, outcomes, titles)

    def _run_step(
        self, step: PlexStep, scenes: list[dict[str, Any]], by_id: dict[int, Job]
    ) -> dict[int, oc.Outcome]:
        assert self._step_ctx is not None
        ctx = dataclasses.replace(self._step_ctx, jobs=dict(by_id))
        try:
            return dict(step.process(scenes, ctx))
        except Exception as exc:
            outcome = oc.Outcome.from_error(exc)
            if outcome.treatment is Treatment.BLOCK or outcome.is_outage:  # e.g. Stash gone
                return {int(scenes[0]["id"]): outcome.escalated()}  # the rest: released
            said = f": {exc}" if str(exc) and outcome.status is SceneStatus.UNEXPECTED else ""
            self.log.error(
                voice.line(
                    f"Processing a batch of {voice.plural(len(scenes), 'scene')} failed with an "
                    f"{outcome.status.phrase}{said}; they are retried (Debug logging shows "
                    "the details)"
                )
            )
            self.log.debug(f"batch failed: {outcome.message}")
            return {int(scene["id"]): outcome for scene in scenes}

    def _apply(
        self,
        present: list[int],
        by_id: dict[int, Job],
        outcomes: dict[int, oc.Outcome],
        titles: dict[int, object],
    ) -> None:
        blocked = next((o for o in outcomes.values() if o.treatment is Treatment.BLOCK), None)
        for sid in present:
            outcome = outcomes.get(sid)
            if outcome is None:
                outcome = blocked or oc.Outcome(
                    SceneStatus.UNEXPECTED, "the Plex step returned no outcome for this scene"
                )
            elif outcome.message:  # stored in the queue and the failed list: no secrets
                outcome = dataclasses.replace(outcome, message=self.log.redact(outcome.message))
            action = oc.apply_outcome(
                self.queue, by_id[sid], outcome, self.policy, rand=self.services.rand
            )
            self.summary.count(action, titles.get(sid))
            if sid in self._caught_up and action.outcome.status is SceneStatus.SYNCED:
                self.summary.caught_up_synced += 1
            self._log_action(action, titles.get(sid))
        if blocked is not None and blocked.status is SceneStatus.STASH_UNAVAILABLE:
            # Stash went away while covers were fetched: its outage, not Plex's (no circuit).
            self._stop(STOP_STASH_UNAVAILABLE, blocked.status.phrase)  # details: the error
            told = voice.lead("Stash stopped answering", self.log.redact(blocked.message))
            self._error = StashUnavailable(f"{told}; the queue is kept")
        elif blocked is not None:
            message = self.log.redact(blocked.message)
            self.circuit.open(blocked.status.value, message, self.clock())
            self._stop(STOP_BLOCKED, _block_phrase(blocked.status))  # details: the error line
            self._error = _plex_error(
                blocked.status, message, "the queue is kept and retried on the next run"
            )

    def _log_action(self, action: oc.Action, title: object) -> None:
        """One debug line per scene (item keys and request details allowed there); what
        users read at info is the run summary, grouped by reason."""
        if not self.log.debug_enabled:
            return
        outcome = action.outcome
        scene = f"Scene {voice.scene_ref(action.scene_id, title)}"
        if outcome.status is SceneStatus.SYNCED and action.name in (oc.DONE, oc.RERUN):
            wrote = f" (wrote {', '.join(outcome.written)})" if outcome.written else ""
            self.log.debug(f"{scene}: synced{wrote}")
            return
        what = {
            oc.RETRIED: f"retry in {action.delay or 0:.0f} s",
            oc.WAITING: f"waiting {action.delay or 0:.0f} s",
            oc.FAILED: "failed",
            oc.RELEASED: "released untouched",
            oc.GONE: "no longer queued",
        }.get(action.name, "done" if outcome.status.pushed else "not pushed")
        why = f": {outcome.message}" if outcome.message else ""
        self.log.debug(f"{scene}: {what}, {outcome.status.phrase}{why}")

    # --- helpers ---------------------------------------------------------------------------

    def _has_due(self) -> bool:
        """Queued work due now (exactly what get_batch would claim)."""
        return self.queue.counts(self.clock()).due > 0

    def _final_look(self) -> bool:
        """Before exiting: marker deleted FIRST, then the inbox drained once more, so an
        edit recorded after this look finds no marker and asks Stash for a new run."""
        write_phase(self.ctx.data_dir, FINISHING)
        clear_marker(self.ctx.data_dir)
        self.drain_inbox()
        if self._has_due() and self.summary.stopped == STOP_DONE:
            write_phase(self.ctx.data_dir, RUNNING)
            return True
        return False

    def _stop(self, stopped: str, reason: str) -> None:
        self.summary.stopped = stopped
        self.summary.reason = reason

    def _report_progress(self) -> None:
        done = self.summary.processed + self.summary.released
        due = self.queue.counts(self.clock()).due
        self.ctx.progress(done / (done + due) if done + due else 1.0)

    def _stash_requests_raw(self) -> int:
        return int(getattr(self._stash, "request_count", 0) or 0)

    def _stash_requests(self) -> int:
        return max(0, self._stash_requests_raw() - self._stash_base)


def _block_phrase(status: SceneStatus) -> str:
    """The words leading a blocked run's error: a rejected token and unusable settings are
    named as such; Plex answering errors to everything counts as unreachable."""
    if status in (SceneStatus.TOKEN_REJECTED, SceneStatus.SETTINGS_UNUSABLE):
        return status.phrase
    return SceneStatus.PLEX_UNREACHABLE.phrase


def _plex_error(
    status: SceneStatus, message: str, tail: str, *, still: bool = False
) -> Stash2PlexError:
    """The run's one error line: what happened, the server's answer once (a message that
    already says "Plex token rejected" is not wrapped in another), and what happens next."""
    if status is SceneStatus.SETTINGS_UNUSABLE:  # e.g. plex_library names no library Plex has
        return ConfigError(f"{message}; {tail}")
    phrase = _block_phrase(status)
    if status is SceneStatus.TOKEN_REJECTED:
        head = f"{phrase} again" if still else phrase
        return PlexAuthError(f"{voice.lead(phrase, message, head=head)}; {tail}")
    head = "Plex is still unreachable" if still else phrase
    return PlexServerDown(f"{voice.lead(phrase, message, head=head)}; {tail}")
