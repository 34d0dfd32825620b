"""Building stashapi's `StashInterface` the way the gateway needs it, for 0.1.x and 0.2.x.

Its requests session gets a timeout, our credentials (cookie scoped to follow Stash's
refreshes) and a response hook before stashapi's first request; its logging goes to our
logger at debug level, scrubbed of secrets.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from http.cookiejar import eff_request_host
from typing import Any
from urllib.request import Request as _UrlRequest

from requests.adapters import HTTPAdapter
from stashapi.stashapp import StashInterface
from urllib3.exceptions import InsecureRequestWarning

from stash.connection import StashEndpoint

__all__ = ["Logger", "build_interface"]

Logger = Any  # anything with debug/info/warning/error(str): stash.log.StashLog, logging.Logger


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout: stashapi's session has none, so a hung Stash would
    hang the worker forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, *args, **kwargs)


class _LibraryLog:
    """stashapi's logger, demoted to debug: it logs as errors conditions we handle
    (a missing id, a fallback) and we report what matters ourselves, once."""

    def __init__(self, logger: Logger, endpoint: StashEndpoint) -> None:
        self._logger = logger
        self._endpoint = endpoint

    def _emit(self, message: object) -> None:
        self._logger.debug("stashapi: " + self._endpoint.scrub(str(message))[:1000])

    def trace(self, message: object) -> None:
        self._emit(message)

    def debug(self, message: object) -> None:
        self._emit(message)

    def info(self, message: object) -> None:
        self._emit(message)

    def warning(self, message: object) -> None:
        self._emit(message)

    def error(self, message: object) -> None:
        self._emit(message)

    def progress(self, fraction: float) -> None:
        pass


class _Interface(StashInterface):  # type: ignore[misc]
    """A StashInterface whose requests session is prepared before its first request.

    Both stashapi lines create the session as `self.s` at the top of their constructor and
    then send three requests; the property setter is the one seam before those requests.
    """

    def __init__(
        self, conn: dict[str, object], prepare: Callable[[Any], None], verify: bool
    ) -> None:
        self._s2p_prepare = prepare
        super().__init__(conn=conn, verify_ssl=verify)

    @property
    def s(self) -> Any:
        return self.__dict__["_s2p_session"]

    @s.setter
    def s(self, session: Any) -> None:
        self._s2p_prepare(session)
        self.__dict__["_s2p_session"] = session


def _prepare_session(
    session: Any, endpoint: StashEndpoint, timeout: float, on_response: Callable[..., Any]
) -> None:
    adapter = _TimeoutAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.hooks.setdefault("response", []).append(on_response)
    if endpoint.cookie_value:
        # Scoped exactly as the jar scopes Stash's own Set-Cookie, so a refreshed session
        # cookie replaces ours instead of being sent beside it (stashapi's own cookie is
        # domain-less and always named `session`).
        domain = eff_request_host(_UrlRequest(endpoint.base_url))[1]
        session.cookies.set(endpoint.cookie_name, endpoint.cookie_value, domain=domain, path="/")
    if endpoint.api_key:
        session.headers["ApiKey"] = endpoint.api_key


def build_interface(
    endpoint: StashEndpoint,
    *,
    timeout: float,
    logger: Logger,
    on_response: Callable[..., Any],
) -> Any:
    """A connected `StashInterface` (three requests: version, apiKey, introspection).

    `on_response(response, *args, **kwargs)` sees every HTTP response (a requests hook),
    which is how failures are classified by status code. Exceptions are stashapi's own.
    """
    if not endpoint.verify:
        # Loopback TLS: the warning would otherwise print once per request.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    conn = endpoint.stashapi_conn(_LibraryLog(logger, endpoint), with_auth=False)

    def prepare(session: Any) -> None:
        _prepare_session(session, endpoint, timeout, on_response)

    return _Interface(conn, prepare, endpoint.verify)
