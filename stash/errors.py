"""Stash failures classified once: HTTP status and exception type → our exception classes.

Standard library only at import time (the hook path uses it); `requests` is consulted
lazily, only when an exception to translate already came from it. Messages are built from
status codes, exception type names and GraphQL error messages, never from URLs or headers,
so no cookie or API key can leak into them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from base.errors import Stash2PlexError, StashAuthError, StashUnavailable

__all__ = [
    "ImageUnavailable",
    "StashQueryError",
    "from_status",
    "translate",
]

_MAX_MESSAGES = 3
_MAX_MESSAGE_CHARS = 300


class StashQueryError(StashUnavailable):
    """Stash answered, but with GraphQL errors (validation 422, or resolver errors on 200).

    A subclass of `StashUnavailable` on purpose: nothing a scene did causes it (an unknown
    field on an old Stash, a locked database), so the caller keeps its work queued and stops
    the run instead of failing jobs.
    """

    def __init__(self, status: int, messages: Sequence[str] = ()) -> None:
        self.status = status
        self.messages = [_clip(m) for m in list(messages)[:_MAX_MESSAGES]]
        detail = "; ".join(self.messages) or "no error message"
        super().__init__(f"Stash query failed (HTTP {status}): {detail}")


class ImageUnavailable(Stash2PlexError):
    """An image that must not be uploaded: placeholder, HTML, SVG, too large, missing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"image unavailable: {reason}")


def _clip(message: object) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "…"


def from_status(status: int, messages: Sequence[str] = ()) -> Stash2PlexError:
    """The exception for a failed GraphQL exchange, decided by HTTP status first."""
    if status in (401, 403):
        return StashAuthError(f"Stash refused the credentials (HTTP {status})")
    if status >= 500 or status in (408, 429):
        return StashUnavailable(f"Stash is unavailable (HTTP {status})")
    if messages or status in (200, 400, 422):
        return StashQueryError(status, messages)
    return StashUnavailable(f"Stash answered HTTP {status}")


def _is_requests_error(exc: BaseException) -> str | None:
    """A short reason when `exc` is a requests transport error, else None."""
    requests_mod = sys.modules.get("requests")
    if requests_mod is None:
        return None  # requests was never imported, so it cannot have raised
    rex = requests_mod.exceptions
    if isinstance(exc, rex.Timeout):
        return "timed out"
    if isinstance(exc, rex.SSLError):
        return "TLS error"
    if isinstance(exc, rex.ConnectionError):
        return "connection failed"
    if isinstance(exc, (rex.ChunkedEncodingError, rex.ContentDecodingError)):
        return "broken response"
    if isinstance(exc, rex.RequestException):
        return "request failed"
    return None


def translate(
    exc: BaseException, *, status: int | None = None, messages: Sequence[str] = ()
) -> Stash2PlexError:
    """Our exception for `exc`, raised by a Stash exchange (stdlib, requests or stashapi).

    `status` and `messages` are the HTTP status and GraphQL error messages of the response
    that caused it, when one was received: stashapi raises bare `Exception`s (and 0.1.x an
    `AttributeError` on `data: null`), so the response, not the text, decides the class.
    """
    if isinstance(exc, Stash2PlexError):
        return exc
    reason = _is_requests_error(exc)
    if reason is not None:
        return StashUnavailable(f"Stash unreachable: {reason}")
    if isinstance(exc, TimeoutError):
        return StashUnavailable("Stash unreachable: timed out")
    if isinstance(exc, ConnectionRefusedError):
        return StashUnavailable("Stash unreachable: connection refused")
    if isinstance(exc, (ConnectionError, OSError)):
        return StashUnavailable("Stash unreachable: connection failed")
    if status is not None:
        return from_status(status, messages)
    http_client = sys.modules.get("http.client")
    if http_client is not None and isinstance(exc, http_client.HTTPException):
        return StashUnavailable("Stash unreachable: it broke off its answer")
    if isinstance(exc, ValueError):  # undecodable JSON body
        return StashUnavailable("Stash sent an unreadable response")
    return StashUnavailable("Stash request failed with an unexpected error")
