"""Stash's authentication: API key, session cookies, and the hook recursion list they carry.

Check order as in Stash pkg/session: `ApiKey` header, then `apikey` query, then the `session`
cookie. A present but wrong key is refused even when no credentials are configured. A
session also carries the (plugin, trigger) pairs already visited by nested hooks, which is how
Stash stops a hook from re-triggering itself forever (10 levels).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

MAX_CYCLIC_LOOP_DEPTH = 10  # Stash pkg/session/plugin.go maxCyclicLoopDepth


@dataclass(frozen=True)
class Session:
    value: str
    created: datetime
    visited: tuple[tuple[str, str], ...] = ()


class AuthResult(Enum):
    OK = "ok"
    ANONYMOUS = "anonymous"  # nothing (valid) presented
    REJECTED = "rejected"  # a wrong API key: 401 whatever the path


@dataclass
class AuthState:
    """Credentials, sessions and their lifetime; thread-safe."""

    clock: Callable[[], datetime]
    username: str = ""
    password: str = ""
    api_key: Callable[[], str] = lambda: ""
    max_session_age: int = 3600  # seconds, Stash's max_session_age default
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def has_credentials(self) -> bool:
        return bool(self.username and self.password)

    def new_session(self, visited: tuple[tuple[str, str], ...] = ()) -> Session:
        session = Session(secrets.token_urlsafe(32), self.clock(), visited)
        with self._lock:
            self._sessions[session.value] = session
        return session

    def session(self, value: str | None) -> Session | None:
        """The live session for a cookie value, or None (unknown or expired)."""
        if not value:
            return None
        with self._lock:
            session = self._sessions.get(value)
        if session is None:
            return None
        if self.clock() - session.created > timedelta(seconds=self.max_session_age):
            return None
        return session

    def refresh(self, session: Session) -> Session:
        """A new cookie value carrying the same recursion list (Stash re-encodes on use)."""
        return self.new_session(session.visited)

    def check(
        self, header_key: str | None, query_key: str | None, cookie: str | None
    ) -> tuple[AuthResult, Session | None]:
        key = header_key or query_key
        if key:
            expected = self.api_key()
            if not expected or not secrets.compare_digest(key, expected):
                return AuthResult.REJECTED, None
            return AuthResult.OK, None
        session = self.session(cookie)
        if session is not None and self.has_credentials:
            return AuthResult.OK, session
        if not self.has_credentials:
            return AuthResult.OK, session  # open server: a stale cookie is just anonymous
        return AuthResult.ANONYMOUS, None


class HookChain:
    """The session of the request being served, per thread, for nested hook cookies."""

    def __init__(self, auth: AuthState) -> None:
        self._auth = auth
        self._local = threading.local()

    def enter(self, session: Session | None) -> None:
        self._local.session = session

    def leave(self) -> None:
        self._local.session = None

    def current(self) -> Session | None:
        return getattr(self._local, "session", None)

    def hook_session(self, plugin_id: str, trigger: str) -> str | None:
        """Cookie value for a hook of `plugin_id` on `trigger`, or None when Stash skips it.

        Called by the runner inside fire_hooks (the request's thread): the new session's list
        is the request's list plus this pair; at 10 earlier visits of the pair the hook is
        skipped, as Stash's executePostHooks does.
        """
        current = self.current()
        visited = current.visited if current is not None else ()
        if visited.count((plugin_id, trigger)) >= MAX_CYCLIC_LOOP_DEPTH:
            return None
        return self._auth.new_session((*visited, (plugin_id, trigger))).value
