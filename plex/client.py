"""The Plex I/O edge: one typed client for every request the plugin makes to Plex.

plexapi's `PlexServer` is used for `connect()`; every hot call is a raw request on our own
keep-alive `requests.Session`, so the HTTP status is seen directly, answers are parsed into
plain dataclasses (`plex.items`), and errors are classified once (`plex.errors`). Every raw
request goes through `_request`: counted (read/write), throttled (writes), translated.
Call `plex.env.prepare_plexapi_env(data_dir)` before importing this module.

Slightly over ~400 lines on purpose: every Plex request passes through the one counted,
throttled, translated `_request` here, and splitting the client would scatter that contract.
"""

from __future__ import annotations

import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import requests
import urllib3
from plexapi import BASE_HEADERS
from plexapi.server import PlexServer
from plexapi.utils import cleanXMLString

from base.errors import ConfigError, PlexNotFound, PlexTransient
from plex.env import ClientIdentity, load_client_identity
from plex.errors import PlexBadRequest, PlexHTTPError, redact, translate_error
from plex.items import (
    ListingPage,
    PlexItemSnapshot,
    SectionInfo,
    ServerIdentity,
    ServerInfo,
    parse_identity,
    parse_items,
    parse_listing_page,
    parse_sections,
)
from plex.pacing import AdaptiveLimit, WriteSpacing
from plex.sections import select_sections
from plex.sessions import ThreadSessions

__all__ = [
    "FETCH_BATCH",
    "LISTING_EXCLUDE_ELEMENTS",
    "LISTING_EXCLUDE_FIELDS",
    "PlexBadRequest",
    "PlexClient",
    "PlexSession",
    "RequestCounts",
    "fetch_chunks",
    "translate_error",
]

FETCH_BATCH = 100  # keys per `GET /library/metadata/k1,k2,...` (plexapi's own page size)
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
# Listing payload: Media/Part (files) must stay; Genre/Role/Collection stay because the
# reconciliation's empty-metadata detector needs "has performers/tags/collections" (plex.md §7).
LISTING_EXCLUDE_ELEMENTS = (
    "Country,Guid,Rating,Director,Writer,Producer,Similar,Style,Mood,Format,Image,"
    "UltraBlurColors,Label,Field,Marker,Chapter"
)
LISTING_EXCLUDE_FIELDS = "tagline,titleSort,originalTitle"
_OK = (200, 201, 204)
_IMAGE_ROUTES = {"poster": "posters", "art": "arts"}

_log = logging.getLogger(__name__)


def fetch_chunks(rating_keys: Iterable[int]) -> list[list[int]]:
    """The keys once each, in order, cut into the multi-key fetches `fetch_items` sends
    (≤ `FETCH_BATCH` per request); callers sending them in parallel cut them the same way."""
    keys = list(dict.fromkeys(int(k) for k in rating_keys))
    return [keys[i : i + FETCH_BATCH] for i in range(0, len(keys), FETCH_BATCH)]


@dataclass
class RequestCounts:
    """Requests issued (attempts, failed ones included), by kind; `total` feeds plex_requests."""

    read: int = 0
    write: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # threads of one run count into it (issue 20)

    def add(self, *, write: bool) -> None:
        with self._lock:
            if write:
                self.write += 1
            else:
                self.read += 1

    @property
    def total(self) -> int:
        return self.read + self.write


def _positive(value: object, default: float) -> float:
    """A NUMBER setting: 0, empty or invalid means the default (SPEC §5)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


class PlexSession(requests.Session):
    """A keep-alive session whose `verify=False` survives `REQUESTS_CA_BUNDLE`.

    requests lets a CA bundle from the environment override a session's `verify=False`
    when the request itself does not pass `verify` (plexapi never does), which would make
    `plex_skip_tls_verify` silently ineffective on machines that set that variable.
    """

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.verify is False and verify is None:
            settings["verify"] = False
        return settings


class _IdentifiedServer(PlexServer):
    """plexapi's server, sending our stable client identity instead of its module defaults."""

    def __init__(
        self,
        baseurl: str,
        token: str,
        *,
        session: requests.Session,
        timeout: tuple[float, float],
        identity_headers: dict[str, str],
    ) -> None:
        # Set before plexapi's constructor: it already sends `GET /`.
        self._identity_headers = dict(identity_headers)
        super().__init__(baseurl, token, session=session, timeout=timeout)

    def _headers(self, **kwargs: Any) -> dict[str, str]:
        headers = super()._headers()
        headers.update(self._identity_headers)
        headers.update(kwargs)
        return headers


class PlexClient:
    """Typed access to one Plex Media Server (see module docstring)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        verify_tls: bool = True,
        write_delay_ms: float = 0,
        identity: ClientIdentity | None = None,
        data_dir: str | PathLike[str] | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base = (url or "").strip().rstrip("/")
        if not base.lower().startswith(("http://", "https://")):
            raise ConfigError("plex_url must start with http:// or https:// (setting plex_url)")
        if not (token or "").strip():
            raise ConfigError("plex_token is not set (setting plex_token)")
        self.base_url = base
        self._token = token.strip()
        self.timeout = (
            _positive(connect_timeout, DEFAULT_CONNECT_TIMEOUT),
            _positive(read_timeout, DEFAULT_READ_TIMEOUT),
        )
        self.write_delay_s = max(float(write_delay_ms or 0), 0.0) / 1000.0
        if identity is None and data_dir is not None:
            identity = load_client_identity(data_dir)
        self.client_identity = identity
        self.session = session or PlexSession()
        self.session.verify = bool(verify_tls)
        if not verify_tls:
            # The user asked for it (self-signed PMS certificate); one warning per request
            # would drown Stash's log.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.sessions = ThreadSessions(self.session, PlexSession)
        self.requests_made = RequestCounts()
        self.server_info: ServerInfo | None = None
        self._server: PlexServer | None = None
        self.spacing = WriteSpacing(self.write_delay_s, clock=clock, sleep=sleep)
        # Requests in flight across threads (plex.pacing); one slot when nobody sets a cap.
        self.limit = AdaptiveLimit(1)

    @classmethod
    def from_config(
        cls, config: object, data_dir: str | PathLike[str] | None = None, **kwargs: Any
    ) -> PlexClient:
        """From the plugin config, read by attribute with SPEC §5 defaults."""
        return cls(
            str(getattr(config, "plex_url", "") or ""),
            str(getattr(config, "plex_token", "") or ""),
            connect_timeout=getattr(config, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=getattr(config, "read_timeout", DEFAULT_READ_TIMEOUT),
            verify_tls=not bool(getattr(config, "plex_skip_tls_verify", False)),
            write_delay_ms=_positive(getattr(config, "plex_write_delay_ms", 0), 0.0),
            data_dir=data_dir,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"PlexClient({self.base_url!r}, token=***)"

    def close(self) -> None:
        self.sessions.close()

    def __enter__(self) -> PlexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def headers(self, *, with_token: bool = True) -> dict[str, str]:
        """plexapi's X-Plex-* headers with our identity (and the token unless told not to)."""
        headers = dict(BASE_HEADERS)
        headers.update(self._identity_headers())
        if with_token:
            headers["X-Plex-Token"] = self._token
        return headers

    def redact(self, text: str) -> str:
        return redact(text, (self._token,))

    def _request(
        self,
        method: str,
        path: str,
        *,
        write: bool = False,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        with_token: bool = True,
        label: str | None = None,
    ) -> requests.Response:
        """One raw request: a slot under the run's limit, writes spaced, counted, sent, a
        failure classified; sent again while the limit says so (`plex.pacing`); 2xx."""
        resend = 0
        while True:
            slot = self.limit.acquire(resend)
            if write:
                self.spacing.wait_turn()
            self.requests_made.add(write=write)
            error: Exception | None = None
            try:
                response = self._send(method, path, headers, data, with_token, label)
            except BaseException as exc:  # the slot goes back whatever happened
                error = exc
            if not self.limit.release(slot, error):
                break
            resend += 1
        if error is not None:
            raise error
        return response

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        data: bytes | None,
        with_token: bool,
        label: str | None,
    ) -> requests.Response:
        action = f"{method} {label or path.split('?', 1)[0]}"
        all_headers = self.headers(with_token=with_token)
        if headers:
            all_headers.update(headers)
        error: Exception | None = None
        response: requests.Response | None = None
        try:
            response = self.sessions.get().request(
                method, self.base_url + path, headers=all_headers, data=data, timeout=self.timeout
            )
            if response.status_code not in _OK:
                raise PlexHTTPError(response.status_code, action)
        except requests.RequestException as exc:
            error = translate_error(exc, action=action, secrets=(self._token,))
            if isinstance(error, PlexBadRequest):
                error.request = self.redact(f"{method} {path}")[:2000]  # type: ignore[attr-defined]
        if error is not None:
            # Raised outside the except block: no chained cause can carry a URL or token.
            raise error
        assert response is not None
        return response

    def _xml(self, response: requests.Response, action: str) -> ET.Element:
        """Parse an answer like plexapi >= 4.17: as is, then once more without illegal chars."""
        body = response.content
        if not body.strip():
            raise PlexTransient(f"Plex sent an empty answer on {action}; will retry later")
        try:
            return ET.fromstring(body)
        except ET.ParseError:
            pass
        cleaned = cleanXMLString(body.decode("utf-8", errors="replace")).encode("utf-8")
        try:
            return ET.fromstring(cleaned)
        except ET.ParseError:
            raise PlexTransient(f"Plex sent unreadable XML on {action}; will retry later") from None

    def _get_xml(self, path: str, *, label: str | None = None, **kwargs: Any) -> ET.Element:
        response = self._request("GET", path, label=label, **kwargs)
        return self._xml(response, f"GET {label or path.split('?', 1)[0]}")

    def read_xml(
        self, path: str, *, label: str, headers: dict[str, str] | None = None
    ) -> ET.Element:
        """One counted GET of `path` (query included), parsed; `label` names it in errors (for
        modules owning their own routes: `plex.history`, `plex.collections`)."""
        return self._get_xml(path, label=label, headers=headers)

    def send(self, method: str, path: str, *, label: str, data: bytes | None = None) -> None:
        """A write for a module owning its own routes: throttled, counted, translated."""
        self._request(method, path, write=True, label=label, data=data)

    # -- server -------------------------------------------------------------------------------

    def identity(self) -> ServerIdentity:
        """`GET /identity` without the token: tells "Plex down" from "token rejected"."""
        return parse_identity(self._get_xml("/identity", with_token=False))

    def connect(self) -> ServerInfo:
        """`GET /` through plexapi's `PlexServer` (token checked); cached for this client."""
        if self._server is None:
            self.requests_made.add(write=False)
            error: Exception | None = None
            try:
                self._server = _IdentifiedServer(
                    self.base_url,
                    self._token,
                    session=self.session,
                    timeout=self.timeout,
                    identity_headers=self._identity_headers(),
                )
            except Exception as exc:  # plexapi raises TypeError/ValueError on odd answers too
                error = translate_error(exc, action="GET /", secrets=(self._token,))
            if error is not None:
                raise error
            server = self._server
            if getattr(server, "machineIdentifier", None) is None:
                # plexapi turns an empty body into an object without attributes.
                self._server = None
                raise PlexTransient("Plex sent an empty answer on GET /; will retry later")
            self.server_info = ServerInfo(
                machine_identifier=server.machineIdentifier or "",
                version=server.version or "",
                platform=server.platform or "",
                friendly_name=server.friendlyName or "",
            )
        assert self.server_info is not None
        return self.server_info

    def _identity_headers(self) -> dict[str, str]:
        ident = self.client_identity
        return ident.headers() if ident is not None else {}

    @property
    def plex_server(self) -> PlexServer:
        """The connected plexapi server (auto-reload off in the worker's environment)."""
        self.connect()
        assert self._server is not None
        return self._server

    # -- sections -----------------------------------------------------------------------------

    def all_sections(self) -> list[SectionInfo]:
        """Every section of the server (`GET /library/sections`), in server order."""
        return parse_sections(self._get_xml("/library/sections"))

    def sections(self, titles: Sequence[str] | str | None = None) -> list[SectionInfo]:
        """The configured sections (`plex.sections.select_sections` rules): empty/None = every
        movie-type section; unknown or non-movie titles are a ConfigError."""
        return select_sections(self.all_sections(), titles)

    # -- reads --------------------------------------------------------------------------------

    def list_page(
        self, section_id: int, start: int, size: int, *, sort: str | None = None
    ) -> ListingPage:
        """One page of a section's raw listing with only the fields the path index needs."""
        params = [
            ("type", "1"),
            ("includeGuids", "0"),
            ("excludeElements", LISTING_EXCLUDE_ELEMENTS),
            ("excludeFields", LISTING_EXCLUDE_FIELDS),
        ]
        if sort:
            params.append(("sort", sort))
        path = f"/library/sections/{int(section_id)}/all?{urlencode(params, quote_via=quote)}"
        root = self._get_xml(
            path,
            label=f"/library/sections/{int(section_id)}/all",
            headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)},
        )
        return parse_listing_page(root, section_id, start)

    def fetch_items(self, rating_keys: Iterable[int]) -> dict[int, PlexItemSnapshot]:
        """Full items by ratingKey, ≤ 100 keys per request; unknown keys are simply absent."""
        found: dict[int, PlexItemSnapshot] = {}
        for chunk in fetch_chunks(rating_keys):
            self._fetch_chunk(chunk, found)
        return found

    def _fetch_chunk(self, chunk: list[int], found: dict[int, PlexItemSnapshot]) -> None:
        """One multi-key fetch. Plex answers with the items it found (reference/plex.md §e;
        unknown keys are simply absent). A server answering 404 for the whole request when
        one key is unknown is unverified but cheap to survive: the keys are split in halves,
        recursively, so only a key that answers 404 on its own is called gone (about
        2·log2(100) ≈ 14 extra requests per gone key, none when Plex behaves as documented)."""
        pending = [chunk]
        while pending:
            keys = pending.pop()
            path = "/library/metadata/" + ",".join(str(k) for k in keys)
            try:
                root = self._get_xml(path, label="/library/metadata/{keys}")
            except PlexNotFound:
                if len(keys) > 1:
                    half = len(keys) // 2
                    pending += [keys[half:], keys[:half]]
                continue  # a single key: gone (absent from the answer)
            for item in parse_items(root):
                found[item.rating_key] = item

    def fetch_item(self, rating_key: int) -> PlexItemSnapshot:
        """One full item; PlexNotFound when the key is gone."""
        root = self._get_xml(f"/library/metadata/{int(rating_key)}")
        items = parse_items(root)
        if not items:
            raise PlexNotFound(f"Plex: item {int(rating_key)} not found")
        return items[0]

    # -- writes -------------------------------------------------------------------------------

    def put_edit(self, section_id: int, query_string: str) -> None:
        """`PUT /library/sections/{sid}/all?{qs}` (one encoded edit from plex.edit_encoding)."""
        query = query_string.lstrip("?")
        self._request("PUT", f"/library/sections/{int(section_id)}/all?{query}", write=True)

    def upload_image(self, rating_key: int, kind: str, data: bytes) -> None:
        """Upload poster (`kind='poster'`) or background (`'art'`) bytes as the raw body."""
        route = _IMAGE_ROUTES.get(kind)
        if route is None:
            raise ValueError(f"kind must be 'poster' or 'art', not {kind!r}")
        self._request("POST", f"/library/metadata/{int(rating_key)}/{route}", write=True, data=data)

    def selected_image(self, rating_key: int, kind: str) -> str | None:
        """The ratingKey of the selected poster (`kind='poster'`) or background (`'art'`):
        `GET /library/metadata/{rk}/posters` (plex.md §2.j); None when none is selected."""
        route = _IMAGE_ROUTES.get(kind)
        if route is None:
            raise ValueError(f"kind must be 'poster' or 'art', not {kind!r}")
        root = self._get_xml(
            f"/library/metadata/{int(rating_key)}/{route}",
            label=f"/library/metadata/{{rk}}/{route}",
        )
        for photo in root.iter("Photo"):
            if photo.get("selected") in ("1", "true"):
                return photo.get("ratingKey")
        return None

    def scan_folder(self, section_id: int, plex_folder: str) -> None:
        """Ask Plex to scan one folder (Plex's own path syntax), `quote_plus` as plexapi does."""
        self._request(
            "GET",
            f"/library/sections/{int(section_id)}/refresh?path={quote_plus(plex_folder)}",
            write=True,
        )
