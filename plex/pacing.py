"""How many Plex requests may be in flight (`AdaptiveLimit`) and how writes are spaced
(`WriteSpacing`); both shared by every thread of one worker run (issue 20, SPEC §10).

`AdaptiveLimit` is an AIMD gate: a request takes a slot before it is sent and gives it back
after. A 5xx, a 429, a timeout or a connection reset (`PlexTransient`, `PlexServerDown`:
decided by class, never by message) halves the limit, once per generation: requests that
were in flight together when Plex answered so count as one signal. A run of successes adds
one slot, up to the cap (`plex_parallel_writes`). A request Plex answered with a 5xx or 429
while it shared Plex with others ("crowded") is sent again once the limit has room: the
failure may be ours, and every request the plugin sends is idempotent (values, whole tag
lists, uploads of the same bytes, reads). A request that was alone in flight fails as it
always did, so a Plex that is really down still stops the run through the outage streak; a
timeout or a reset is never sent again (the run stops on it, as before).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from base.errors import PlexServerDown, PlexTransient

__all__ = ["BUSY", "OVERLOAD", "AdaptiveLimit", "Slot", "WriteSpacing"]

# The classes that say "Plex is overloaded or unwell" (plex.errors.translate_error: 408,
# 429, 5xx → PlexTransient; refused, reset, timeout → PlexServerDown).
OVERLOAD = (PlexTransient, PlexServerDown)
# "Busy, ask again" answers: sent again as long as they met others in flight (the limit falls
# to 1, where a request is alone); any other 5xx at most `resends` times.
BUSY = frozenset({429, 503})


class Slot:
    """One request's place in the gate: the generation it started in, and whether another
    request was in flight with it at any moment."""

    __slots__ = ("crowded", "generation", "resend")

    def __init__(self, generation: int, resend: int = 0) -> None:
        self.generation = generation
        self.resend = resend  # how many times this request was sent before
        self.crowded = False


class AdaptiveLimit:
    """The AIMD gate of one run (see module docstring). `cap` 1 is the sequential plugin:
    one request at a time, nothing retried."""

    def __init__(self, cap: int, *, success_run: int | None = None) -> None:
        self.cap = max(1, int(cap))
        self.limit = self.cap
        # Resends of one request after a 5xx other than 503/429: one per halving from the cap
        # down to 1 (16 → 4, 4 → 2), so a 500 that is the item's own costs a few, no loop.
        self.resends = self.cap.bit_length() - 1
        # Successes in a row before one more slot: one per slot in use (TCP's additive step).
        self._success_run = success_run
        self.generation = 0
        self.halvings = 0
        self.peak_in_flight = 0
        self._successes = 0
        self._active: set[Slot] = set()
        self._cond = threading.Condition()

    @property
    def in_flight(self) -> int:
        with self._cond:
            return len(self._active)

    def acquire(self, resend: int = 0) -> Slot:
        """Wait for room under the current limit; the slot to give back with `release`
        (`resend`: the times this request was sent before)."""
        with self._cond:
            while len(self._active) >= self.limit:
                self._cond.wait()
            slot = Slot(self.generation, resend)
            self._active.add(slot)
            if len(self._active) > 1:
                for other in self._active:
                    other.crowded = True
            self.peak_in_flight = max(self.peak_in_flight, len(self._active))
            return slot

    def release(self, slot: Slot, error: BaseException | None = None) -> bool:
        """Give the slot back after the request; True when the request should be sent again
        (it failed with an overload class while another request was in flight with it)."""
        with self._cond:
            self._active.discard(slot)
            retry = False
            if error is None:
                self._successes += 1
                if self._successes >= (self._success_run or self.limit) and self.limit < self.cap:
                    self.limit += 1
                    self._successes = 0
            elif isinstance(error, OVERLOAD):
                self._successes = 0
                if slot.generation == self.generation:
                    self.limit = max(1, self.limit // 2)
                    self.generation += 1
                    self.halvings += 1
                # A timeout or a reset is not sent again: the run stops on it as it always
                # did (blocked: nothing failed, nothing lost), rather than wait out more.
                retry = (
                    slot.crowded
                    and isinstance(error, PlexTransient)
                    and (getattr(error, "status", None) in BUSY or slot.resend < self.resends)
                )
            self._cond.notify_all()
            return retry


class WriteSpacing:
    """`plex_write_delay_ms` as a spacing between the starts of two writes, across threads:
    each write reserves the next start time under a lock and sleeps outside it."""

    def __init__(
        self,
        delay_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay_s = max(float(delay_s), 0.0)
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        if self.delay_s <= 0:
            return
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self.delay_s
        if start > now:
            self._sleep(start - now)
