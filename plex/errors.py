"""Classification of every Plex failure into the project's exception classes (plex.md §3).

`translate_error` is the one place that looks at HTTP statuses and transport exceptions; it
decides by exception class and status code, never by message wording, and its messages carry
no token (`redact`). Nothing above the Plex adapter inspects HTTP.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    Stash2PlexError,
)
from stash.log import REDACTED, secret_forms

__all__ = [
    "PlexBadRequest",
    "PlexHTTPError",
    "PlexWritesRefused",
    "redact",
    "refusal_status",
    "status_of",
    "translate_error",
]

_TOKEN_PARAM = re.compile(r"(X-Plex-Token[\"']?\s*[=:]\s*[\"']?)[^&\s\"',;}]+", re.IGNORECASE)
# plexapi formats every non-2xx answer as "(503) service_unavailable; <url> <body>" and keeps
# no status attribute; this leading code is the only place the status is read from text.
_PLEXAPI_STATUS = re.compile(r"^\((\d{3})\)")
_MAX_DETAIL = 200


class PlexBadRequest(PlexError):
    """Plex refused the request itself (400, or another permanent 4xx such as 414).

    Permanent for this item and request: record it with the (token-free) request, do not
    retry, continue with the other items.
    """


class PlexWritesRefused(PlexAuthError):
    """Plex answers reads but refused every edit of several items in a row: the token can
    read, not write. Stops the run like a rejected token (the fix is the same: the owner's
    token)."""


def refusal_status(exc: BaseException) -> int | None:
    """The status when `exc` is Plex refusing one write (400, 401, 403, another permanent
    4xx) that a field-by-field retry may narrow down; None otherwise (a 414 has its own
    splitting, a 5xx is transient). A 401/403 is a per-item refusal only once a read has
    shown the token still works (`plex.refusals`)."""
    if isinstance(exc, PlexAuthError):
        return int(getattr(exc, "status", None) or 401)
    if isinstance(exc, PlexBadRequest):
        status = getattr(exc, "status", None)
        if status is None or status == 414:
            return None
        return int(status)
    return None


class PlexHTTPError(requests.HTTPError):
    """A non-2xx answer to one of our raw requests, before classification (carries the status)."""

    def __init__(self, status: int, action: str) -> None:
        super().__init__(f"({status}) {action}")
        self.status = status
        self.action = action


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without any secret value (raw, URL-quoted) and without `X-Plex-Token=` values."""
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        for form in sorted(secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, REDACTED)
    return _TOKEN_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


def status_of(exc: BaseException) -> int | None:
    """HTTP status behind `exc`, when there was an answer."""
    if isinstance(exc, PlexHTTPError):
        return exc.status
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code
    if isinstance(exc, (BadRequest, NotFound)):
        match = _PLEXAPI_STATUS.match(str(exc))
        if match:
            return int(match.group(1))
        if isinstance(exc, Unauthorized):
            return 401
    return None


def _auth(status: int, where: str) -> PlexAuthError:
    # The message states what Plex answered and does not lead with "Plex token rejected":
    # callers lead with their own words (the run's error, Health Check), and a message that
    # began with them too was printed nested inside itself.
    if status == 403:
        text = (
            f"Plex answered 403{where}: token rejected, no permission; use the Plex server "
            "owner's token in the Plex token setting (plex_token)"
        )
    else:
        text = (
            f"Plex answered 401{where}: token rejected; check the Plex token setting (plex_token)"
        )
    return PlexAuthError(text)


def _from_status(status: int | None, where: str, detail: str) -> Stash2PlexError:
    if status in (401, 403):
        return _auth(status, where)
    if status == 404:
        return PlexNotFound(f"Plex: not found (404{where})")
    if status is None:
        # plexapi's own client-side refusals (e.g. an item of another section): a bug or bad
        # data on our side, never fixed by retrying.
        return PlexBadRequest(f"Plex request refused{where}: {detail}")
    if status in (408, 429) or status >= 500:
        return PlexTransient(f"Plex answered {status}{where}; will retry later")
    if status == 414:
        return PlexBadRequest(
            f"Plex refused the request as too long (414 URI Too Long{where}): Plex or a proxy "
            "in front of it limits the URL length"
        )
    if 400 <= status < 500:
        return PlexBadRequest(f"Plex refused the request ({status}{where})")
    return PlexTransient(f"Plex answered an unexpected status {status}{where}")


def translate_error(
    exc: BaseException, *, action: str = "", secrets: Iterable[str] = ()
) -> Stash2PlexError:
    """The project's exception for `exc`, raised by plexapi, requests or our raw requests.

    auth (401, 403) -> PlexAuthError; 404 -> PlexNotFound; refused, unreachable, timed out
    (connect or read) -> PlexServerDown (the run stops; timeouts count toward the circuit,
    not toward a job's retries); 408/429/5xx, odd statuses (plexapi's TypeError), unreadable
    XML, an empty body where data was needed -> PlexTransient; 400 and other 4xx ->
    PlexBadRequest (permanent); a malformed plex_url -> ConfigError. `action` ("GET /path")
    names the request in the message; `secrets` are redacted from everything.
    The result has `status` (int or None) and `request` (redacted action) attributes.
    """
    if isinstance(exc, Stash2PlexError):
        return exc
    secrets = tuple(secrets)
    where = f" on {redact(action, secrets)}" if action else ""
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)[:_MAX_DETAIL]
    status = status_of(exc)
    error: Stash2PlexError
    if isinstance(exc, (BadRequest, NotFound, requests.HTTPError)):
        error = _from_status(status, where, detail)
    elif isinstance(exc, requests.exceptions.SSLError):
        error = PlexServerDown(
            f"Plex TLS handshake failed{where}; for a self-signed certificate enable "
            "plex_skip_tls_verify"
        )
    elif isinstance(exc, requests.Timeout):
        # ConnectTimeout is also a ConnectionError: test Timeout first to say which it was.
        if isinstance(exc, requests.ConnectTimeout):
            error = PlexServerDown(f"Plex did not accept the connection in time{where}")
        else:
            error = PlexServerDown(f"Plex did not answer in time (read timeout{where})")
    elif isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.URLRequired,
        ),
    ):
        error = ConfigError(
            f"plex_url is not a usable URL{where}: it must look like http://host:32400"
        )
    elif isinstance(exc, requests.ConnectionError):
        error = PlexServerDown(f"cannot reach Plex (connection refused or cut{where})")
    elif isinstance(exc, ET.ParseError):
        error = PlexTransient(f"Plex sent unreadable XML{where}; will retry later")
    elif isinstance(exc, TypeError):
        # plexapi looks up the status name of an unregistered code (520, 599) and fails.
        error = PlexTransient(f"Plex answered an unusual status{where}; will retry later")
    elif isinstance(exc, AttributeError):
        # plexapi parses an empty 200 body to None and then reads `.tag` from it.
        error = PlexTransient(f"Plex sent an empty answer{where}; will retry later")
    else:
        error = PlexTransient(f"Plex request failed{where}: {detail}")
    error.status = status  # type: ignore[attr-defined]
    error.request = redact(action, secrets)  # type: ignore[attr-defined]
    return error
