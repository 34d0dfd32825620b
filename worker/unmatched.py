"""Scenes of a batch without a Plex item to write: the outcome each gets (with the detail
naming why), and the scenes noted as not in Plex that a refreshed path index holds now.

Used by the Plex step (`worker.step_plex`); the step counts the outcomes.
"""

from __future__ import annotations

from base.status import SceneStatus
from plex.index import PathIndex
from plex.resolve import Resolution
from worker.outcomes import Outcome
from worker.step import StepContext

__all__ = ["found_in_plex", "unmatched_outcome"]


def unmatched_outcome(res: Resolution, *, skip_plex_scan: bool) -> Outcome:
    """A scene matching did not place: not scanned yet, outside the libraries, ambiguous
    (both candidates named in the detail, which is kept with the queue row)."""
    status = res.status
    detail = res.reason
    if status is SceneStatus.NOT_SCANNED:
        detail += "; skip_plex_scan is on" if skip_plex_scan else "; folder scan requested"
    elif status is SceneStatus.AMBIGUOUS and res.candidates:
        parties = "; ".join(
            f"scene {c.scene_id}: {c.stash_file!r} -> Plex item {c.section_id}/{c.rating_key}"
            f" ({c.plex_file!r})"
            for c in res.candidates
        )
        detail += f" [{parties}]"
    return Outcome(status, detail)


def found_in_plex(ctx: StepContext, index: PathIndex, batch: set[int]) -> None:
    """After a batch refreshed the path index: scenes noted as not in Plex whose file it
    holds now are recorded in the inbox (the worker moves them into its queue between
    batches), as reconciliation does after its own refresh."""
    from sync_queue.inbox import Inbox

    found = [
        sid
        for sid, paths in sorted(ctx.sync_state.not_in_plex().items())
        if sid not in batch and any(index.by_path(path) for path in paths)
    ]
    if found:
        with Inbox(ctx.data_dir) as inbox:
            inbox.record("scene", found, "in Plex now")
        ctx.log.debug(f"{len(found)} scene(s) Plex did not have before are in Plex now")
