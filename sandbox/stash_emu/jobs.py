"""Stash's job queue for plugin tasks, and the seam through which plugins are run.

Like Stash's job manager it runs one job at a time; finished and cancelled jobs leave the
queue (`jobQueue`) but stay findable (`findJob`). A plugin task whose process reports an
error still ends FINISHED, as in Stash. A job naming a plugin id or task Stash does not know
ends FAILED with Stash's error text when it runs (`runPluginTask` accepted it). The process
itself is started by a `PluginRunner` (the sandbox harness), so this module never spawns
anything.

Evidence (Stash v0.30.1): internal/manager/task_plugin.go `RunPluginTask` adds the job
without looking the plugin up; inside the job, `PluginCache.CreateTask` (pkg/plugin/
plugins.go) returns "no plugin with ID %s" / "no task with name %s in plugin %s", wrapped as
"Error creating plugin task: %w", and pkg/job/manager.go marks the job FAILED with that
error. v0.24 and v0.25 only logged it and ended the job FINISHED (their job exec returned
nothing, and their `Job` has no `error` field): `JobManager.job_errors` False (the v0.24.3
and v0.25.1 release modes) does the same, keeping the text in `plugin_error` (Stash's log).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class PluginRunner(Protocol):
    """Runs one plugin the way Stash does; implemented by sandbox.harness."""

    plugin_id: str

    def task_names(self) -> list[str]: ...

    def run_task(
        self, task_name: str, args_map: dict[str, object], progress: Callable[[float], None]
    ) -> str | None:
        """Run the task's process to the end; return the plugin's error text or None."""
        ...

    def fire_hooks(
        self, trigger: str, hook_id: int, hook_input: object, input_fields: list[str] | None
    ) -> None:
        """Run every hook matching `trigger`, one after another, each to the end."""
        ...

    def cancel_running(self) -> None:
        """SIGKILL the running task process (Stash's Stop)."""
        ...


QUEUED_STATES = ("READY", "RUNNING", "STOPPING")


@dataclass
class Job:
    id: int
    description: str
    add_time: datetime
    plugin_id: str
    task_name: str
    args_map: dict[str, object] = field(default_factory=dict)
    status: str = "READY"  # READY RUNNING FINISHED STOPPING CANCELLED FAILED
    start_time: datetime | None = None
    end_time: datetime | None = None
    progress: float | None = None
    error: str | None = None  # Job.error in GraphQL: only when the task could not run
    plugin_error: str | None = None  # what the plugin returned as `error` (Stash only logs it)
    # Stash's own jobs (scan, Auto Tag: sandbox/stash_emu/library_jobs.py): the work to run,
    # given the progress callback; None for plugin tasks.
    work: Callable[[Callable[[float], None]], None] | None = field(default=None, repr=False)


class JobManager:
    """The global one-at-a-time queue. `inline`: a background thread drains it."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Condition()
        self._jobs: list[Job] = []
        self._next_id = 1
        self.runner: PluginRunner | None = None
        self._inline = True
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._running: Job | None = None
        # A task that cannot start ends FAILED with an error (v0.26+), else FINISHED.
        self.job_errors = True

    # --- queue ---------------------------------------------------------------------------------

    def add(self, plugin_id: str, task_name: str, description: str, args: dict[str, object]) -> Job:
        return self._queue(
            lambda job_id: Job(job_id, description, self._clock(), plugin_id, task_name, dict(args))
        )

    def add_internal(
        self, description: str, work: Callable[[Callable[[float], None]], None]
    ) -> Job:
        """One of Stash's own jobs ("Scanning...", "Auto-tagging...": manager_tasks.go),
        queued behind everything else like any job (pkg/job/manager.go)."""
        return self._queue(
            lambda job_id: Job(job_id, description, self._clock(), "", "", work=work)
        )

    def _queue(self, make: Callable[[int], Job]) -> Job:
        """The next id, at the end of the one first-in-first-out queue."""
        with self._lock:
            job = make(self._next_id)
            self._next_id += 1
            self._jobs.append(job)
            self._lock.notify_all()
        if self._inline:
            self._ensure_thread()
        return job

    @property
    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

    def queue(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs if j.status in QUEUED_STATES]

    def find(self, job_id: int) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs if j.id == job_id), None)

    def stop(self, job_id: int) -> bool:
        """Stash's stopJob: a waiting job is cancelled, a running task is SIGKILLed."""
        with self._lock:
            job = next((j for j in self._jobs if j.id == job_id), None)
            if job is None or job.status not in QUEUED_STATES:
                return False
            was_running = job.status == "RUNNING"
            job.status = "CANCELLED"
            job.end_time = self._clock()
            self._lock.notify_all()
        if was_running and self.runner is not None:
            self.runner.cancel_running()
        return True

    def stop_all(self) -> None:
        for job in self.queue():
            self.stop(job.id)

    # --- running -------------------------------------------------------------------------------

    @property
    def inline(self) -> bool:
        return self._inline

    @inline.setter
    def inline(self, value: bool) -> None:
        self._inline = value
        if value:
            self._ensure_thread()
        with self._lock:
            self._lock.notify_all()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="stash-emu-jobs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and (not self._inline or self._next_ready() is None):
                    self._lock.wait(0.5)
                if self._stopping:
                    return
            self.run_next()

    def _next_ready(self) -> Job | None:
        return next((j for j in self._jobs if j.status == "READY"), None)

    def run_next(self) -> Job | None:
        """Run the oldest READY job to its end in the calling thread."""
        with self._lock:
            while self._running is not None:
                self._lock.wait()
            job = self._next_ready()
            if job is None:
                return None
            job.status = "RUNNING"
            job.start_time = self._clock()
            self._running = job
        try:
            self._execute(job)
        finally:
            with self._lock:
                self._running = None
                if job.status in ("RUNNING", "STOPPING"):
                    job.status = "FINISHED" if job.error is None else "FAILED"
                    job.end_time = self._clock()
                self._lock.notify_all()
        return job

    def _execute(self, job: Job) -> None:
        def progress(value: float) -> None:
            job.progress = min(1.0, max(0.0, float(value)))

        if job.work is not None:
            try:
                job.work(progress)
            except Exception as exc:  # Stash marks the job failed; the queue goes on
                job.error = f"{type(exc).__name__}: {exc}"
            return
        runner = self.runner
        cannot_start = None
        if runner is None or runner.plugin_id != job.plugin_id:
            cannot_start = f"Error creating plugin task: no plugin with ID {job.plugin_id}"
        elif job.task_name and job.task_name not in runner.task_names():
            name = getattr(runner, "plugin_name", job.plugin_id)
            cannot_start = (
                f"Error creating plugin task: no task with name {job.task_name} in plugin {name}"
            )
        if cannot_start is not None:
            if self.job_errors:
                job.error = cannot_start
            else:  # v0.24/v0.25: logged only, the job ends FINISHED
                job.plugin_error = cannot_start
            return
        assert runner is not None
        try:
            job.plugin_error = runner.run_task(job.task_name, dict(job.args_map), progress)
        except Exception as exc:  # a harness failure must not kill the queue thread
            job.error = f"{type(exc).__name__}: {exc}"

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is READY or RUNNING (only meaningful with `inline`)."""
        with self._lock:
            return self._lock.wait_for(
                lambda: self._running is None and (not self._inline or self._next_ready() is None),
                timeout,
            )

    def shutdown(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
