"""A Plex service-time model for the emulator (issue 20): how long a real PMS takes per request.

`ServiceTime` (all zero by default: the emulator answers as fast as it can) and `ServicedApp`,
which wraps `PlexApp.dispatch`:
- every request pays a round trip `round_trip_s` (R: a NAS or a remote server 10-50 ms away);
- edits (`PUT /library/sections/{id}/all`, `PUT /library/metadata/{rk}`) are served one at a
  time behind one lock, `edit_s` each (E): PMS keeps its metadata in SQLite, whose writers
  take one database lock (reference/plex.md §8: "PMS is SQLite-backed; bursts of writes are
  reported to hold long transactions");
- image uploads (`POST …/posters`, `…/arts`) are served at most `upload_slots` (4) at a time,
  `upload_s` each (U): PMS stores the file and makes its variants;
- with `max_in_flight` (K) set, a request arriving while more than K are in flight answers
  503 (after its round trip) and changes nothing.

Every constant is an assumption, not a measurement: plex.md has no timing of a real PMS and
says nothing of how it answers overload (its §3 lists 429 and 503 among the statuses plexapi
raises on, without saying when PMS sends them). docs/sandbox-plex.md and docs/benchmarks.md
label them so.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from sandbox.httpd import App, Request, Response

__all__ = ["ServiceTime", "ServicedApp"]

_EDIT = re.compile(r"^/library/(sections/\d+/all|metadata/\d+)/?$")
_UPLOAD = re.compile(r"^/library/metadata/\d+/(posters|arts)/?$")


@dataclass
class ServiceTime:
    """The model's constants (seconds); set them on `PlexEmulator.service` at any time.
    `peak_in_flight` and `overloaded` are what the model saw."""

    round_trip_s: float = 0.0
    edit_s: float = 0.0
    upload_s: float = 0.0
    upload_slots: int = 4
    max_in_flight: int | None = None
    peak_in_flight: int = 0
    overloaded: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    edit_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    upload_gate: threading.BoundedSemaphore | None = field(default=None, repr=False)

    def uploads(self) -> threading.BoundedSemaphore:
        with self.lock:
            if self.upload_gate is None:
                self.upload_gate = threading.BoundedSemaphore(max(1, self.upload_slots))
            return self.upload_gate


class ServicedApp:
    """`app` served under `model` (see module docstring)."""

    def __init__(self, app: App, model: ServiceTime) -> None:
        self.app = app
        self.model = model

    def dispatch(self, request: Request) -> tuple[str, Response]:
        model = self.model
        with model.lock:
            model.in_flight += 1
            model.peak_in_flight = max(model.peak_in_flight, model.in_flight)
            limit = model.max_in_flight
            over = limit is not None and model.in_flight > limit
            if over:
                model.overloaded += 1
        try:
            if model.round_trip_s:
                time.sleep(model.round_trip_s)
            if over:
                return "overloaded", Response(503, b"", "text/html")
            if request.method == "PUT" and _EDIT.match(request.path) and model.edit_s:
                with model.edit_lock:
                    time.sleep(model.edit_s)
                    return self.app.dispatch(request)
            if request.method == "POST" and _UPLOAD.match(request.path) and model.upload_s:
                with model.uploads():
                    time.sleep(model.upload_s)
                    return self.app.dispatch(request)
            return self.app.dispatch(request)
        finally:
            with model.lock:
                model.in_flight -= 1
