"""The run's Plex step with the collection pass around each batch (issue 19): `with_collections`
wraps the step `worker.services.default_plex_step` builds; the scene step itself is untouched.

Collections never change a scene's outcome: any trouble of the pass is one warning line (the
details in a debug line) and the next sync of their scenes tries again.
"""

from __future__ import annotations

from typing import Any

from base.errors import PlexError, StashError
from base.status import Treatment
from plex.client import PlexClient
from validation.desired import DesiredOptions
from worker.collections import OUTAGES, CollectionPass
from worker.outcomes import Outcome
from worker.step import PlexStep, StepContext

__all__ = ["CollectionsStep", "with_collections"]


class CollectionsStep:
    """The run's Plex step with the collection pass around each batch (`PlexStep` contract)."""

    def __init__(self, inner: PlexStep, collections: CollectionPass) -> None:
        self.inner = inner
        self.collections = collections
        self._ctx: StepContext | None = None
        self._halted = False  # a batch was blocked: Plex or Stash is down, the run stops

    @property
    def requests_made(self) -> int:  # type: ignore[override]
        return self.inner.requests_made

    def health_check(self) -> None:
        self.inner.health_check()

    def close(self) -> None:
        try:
            if self._ctx is not None and not self._halted:
                self._guarded(self._ctx, "at the end of the run", self.collections.flush)
                if self.collections.described:
                    self._ctx.log.info(
                        f"Plex collections: {self.collections.described} described from their "
                        "Stash group or studio (summary, poster, scene order)"
                    )
        finally:
            self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # counts, index, ... for benches and tests

    def process(self, scenes: list[dict[str, Any]], ctx: StepContext) -> dict[int, Outcome]:
        self._ctx = ctx
        if not self._halted:
            self._guarded(ctx, "before this batch", lambda c: self.collections.before(scenes, c))
        outcomes = self.inner.process(scenes, ctx)
        if any(o.treatment is Treatment.BLOCK for o in outcomes.values()):
            self._halted = True  # the run stops with the scene step's one outage line
        else:
            self._guarded(
                ctx, "after this batch", lambda c: self.collections.after(scenes, outcomes, c)
            )
        return outcomes

    @staticmethod
    def _guarded(ctx: StepContext, when: str, work: Any) -> None:
        """Collections never change a scene's outcome: trouble is one warning line (the
        details in a debug line), and the next sync of their scenes tries again."""
        try:
            work(ctx)
        except OUTAGES as exc:  # the scene step reports an outage, once
            ctx.log.debug(f"collections {when}: {type(exc).__name__}: {exc}")
        except (PlexError, StashError) as exc:
            ctx.log.warning(
                f"Plex collections were not updated {when} ({exc}); the next sync of their "
                "scenes tries again"
            )
        except Exception as exc:  # a bug or hostile data must not fail the batch's scenes
            ctx.log.warning(
                f"Plex collections were not updated {when} because of an unexpected "
                "problem; the next sync of their scenes tries again (Debug logging shows "
                "the details)"
            )
            ctx.log.debug(f"collections {when}: {type(exc).__name__}: {exc}")


def with_collections(step: PlexStep, ctx: StepContext, client: PlexClient) -> PlexStep:
    """`step` with the collection pass, unless collections or their details are off."""
    config = ctx.config
    if config.skip_collections or config.skip_collection_details:
        return step
    return CollectionsStep(
        step, CollectionPass(client, DesiredOptions.from_config(config), config.library_names)
    )
