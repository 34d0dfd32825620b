"""One keep-alive HTTP session per thread for the Plex client, all with the same settings.

`requests.Session` is not documented as safe across threads (its cookie jar and adapters are
shared state), so each thread that sends Plex requests gets its own session, made like the
first one (`verify`); the identity headers travel with every request (`PlexClient.headers`),
so Plex sees one client whatever thread sent it (issue 20).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests

__all__ = ["ThreadSessions"]


class ThreadSessions:
    """`get()` → this thread's session; the creating thread uses `main`."""

    def __init__(self, main: requests.Session, factory: Callable[[], requests.Session]) -> None:
        self.main = main
        self._factory = factory
        self._owner = threading.get_ident()
        self._local = threading.local()
        self._others: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        if threading.get_ident() == self._owner:
            return self.main
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._factory()
            session.verify = self.main.verify
            self._local.session = session
            with self._lock:
                self._others.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            others, self._others = self._others, []
        for session in others:
            session.close()
        self.main.close()
