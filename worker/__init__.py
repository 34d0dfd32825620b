"""The worker: drains the queue one batch at a time and turns each scene's outcome into its
queue action; plus the wake-up rule hooks share with it, and the queue & worker tasks.

Importing the package imports nothing else: hooks import `worker.wakeup` and
`worker.circuit` (standard library only) and must not pay for the worker's task-side
modules. Names below load their module on first access (PEP 562). See docs/worker.md.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from worker.circuit import Circuit, CircuitState
    from worker.loop import RunSummary, run_worker
    from worker.outcomes import Action, Outcome, RetryPolicy, apply_outcome, backoff_delay
    from worker.plex_step import PlexStep, StepContext, StepFactory, default_plex_step
    from worker.services import WorkerServices
    from worker.wakeup import WORKER_TASK_NAME, wake_worker

__all__ = [
    "WORKER_TASK_NAME",
    "Action",
    "Circuit",
    "CircuitState",
    "Outcome",
    "PlexStep",
    "RetryPolicy",
    "RunSummary",
    "StepContext",
    "StepFactory",
    "WorkerServices",
    "apply_outcome",
    "backoff_delay",
    "default_plex_step",
    "run_worker",
    "wake_worker",
]

_HOME = {
    "WORKER_TASK_NAME": "wakeup",
    "Action": "outcomes",
    "Circuit": "circuit",
    "CircuitState": "circuit",
    "Outcome": "outcomes",
    "PlexStep": "plex_step",
    "RetryPolicy": "outcomes",
    "RunSummary": "loop",
    "StepContext": "plex_step",
    "StepFactory": "plex_step",
    "WorkerServices": "services",
    "apply_outcome": "outcomes",
    "backoff_delay": "outcomes",
    "default_plex_step": "plex_step",
    "run_worker": "loop",
    "wake_worker": "wakeup",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'worker' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"worker.{home}"), name)
