"""Health Check steps on the Plex side: reachable, version, token valid and allowed to edit,
configured sections, and the path-index refresh. Four requests besides the index refresh.

Edit permission is checked without writing: `GET /library` is answered to the server owner
only (plexapi server.py `library`: "Only the owner has access to /library", its fallback for
other accounts is `/library/sections`), and only the owner's token may edit metadata. A no-op
edit would be a real write on a real server (it may bump `updatedAt`, the path index's
watermark) and its answer for non-owners is unverified, so it is not used.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
)
from doctor.result import FAIL, OK, WARN, CheckResult, setting_place
from plex.sections import title_list

__all__ = ["PlexAccess", "check_plex", "refresh_index", "section_results", "select_configured"]

_OWNER_FIX = (
    f"put the Plex server owner's token in {setting_place('plex_token')} (signed in to Plex "
    "Web as the owner: any item → Get Info → View XML, the X-Plex-Token in the address)"
)


@dataclass
class PlexAccess:
    """What the Plex checks found; `client` and `sections` are set when Plex is usable."""

    results: list[CheckResult] = field(default_factory=list)
    client: Any = None  # plex.client.PlexClient
    sections: list[Any] = field(default_factory=list)  # configured SectionInfo found
    server: dict[str, object] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.client is not None and not any(r.failed for r in self.results)


def _token_rejected(status: int) -> CheckResult:
    # Written here in full, never around the adapter's message: that one says "token
    # rejected" too, and quoting it inside this line nested the words in themselves.
    return CheckResult(
        "plex_token",
        FAIL,
        f"Plex answered {status}: token rejected (the token in {setting_place('plex_token')})",
        f"copy a current X-Plex-Token into {setting_place('plex_token')}",
    )


def _down(url: str, exc: Exception) -> CheckResult:
    return CheckResult(
        "plex",
        FAIL,
        f"Plex unreachable at {url}: {exc}",
        f"start Plex, or correct {setting_place('plex_url')} (as seen from the Stash host)",
    )


def _not_plex(url: str, what: str) -> CheckResult:
    """Something answers at the address, but not Plex: another program has this port."""
    return CheckResult(
        "plex",
        FAIL,
        f"Not a Plex server at this address and port: {url} answered {what} on /, where "
        "Plex always answers",
        f"check the host and port in {setting_place('plex_url')} (as seen from the Stash "
        "host; Plex listens on port 32400 unless changed)",
    )


def _unusable(url: str, exc: PlexError) -> CheckResult:
    """Plex answered `GET /` with an error status (a starting server answers 503)."""
    status = getattr(exc, "status", None)
    what = f"answered {status} on /" if status else "sent an answer Health Check could not read"
    return CheckResult(
        "plex",
        FAIL,
        f"Plex at {url} {what}: it may still be starting",
        "wait until Plex has started (Plex Web opens), then run Health Check again",
    )


def _unreadable(exc: PlexError | None) -> bool:
    """A 2xx answer that is no Plex XML (or a 404): what a web server that is not Plex sends.

    Decided by class and status: an answer without status is one that came back but could
    not be read; a 5xx carries its status.
    """
    if exc is None:
        return False
    return isinstance(exc, PlexNotFound) or (
        isinstance(exc, PlexTransient) and getattr(exc, "status", None) is None
    )


def _probe_owner(client: Any) -> CheckResult:
    """`GET /library` with the token: 200 for the owner, 403 for any other account."""
    import requests

    from plex.errors import PlexHTTPError, translate_error

    client.requests_made.read += 1
    try:
        response = client.session.get(
            client.base_url + "/library", headers=client.headers(), timeout=client.timeout
        )
        status = response.status_code
    except requests.RequestException as exc:
        error = translate_error(exc, action="GET /library")
        return CheckResult("plex_permission", FAIL, f"Plex edit permission unknown: {error}")
    if status == 200:
        return CheckResult("plex_permission", OK, "Plex token may edit (server owner)")
    if status == 401:
        return _token_rejected(401)
    if status == 403:
        return CheckResult(
            "plex_permission",
            FAIL,
            "Plex answered 403 on /library: the token is valid but not the server owner's, "
            "so Plex will refuse every edit",
            _OWNER_FIX,
        )
    error = translate_error(PlexHTTPError(status, "GET /library"), action="GET /library")
    return CheckResult("plex_permission", WARN, f"Plex edit permission unknown: {error}")


def _connect(client: Any, access: PlexAccess) -> bool:
    url = client.base_url
    identity_error: PlexError | None = None
    try:
        identity = client.identity()
    except PlexServerDown as exc:
        access.results.append(_down(url, exc))
        return False
    except PlexError as exc:
        identity = None  # some servers want a token even here; connect() tells the rest
        identity_error = exc
    try:
        info = client.connect()
    except PlexAuthError as exc:
        access.results.append(_token_rejected(getattr(exc, "status", None) or 401))
        return False
    except PlexServerDown as exc:
        access.results.append(_down(url, exc))
        return False
    except PlexNotFound:
        # Plex answers `/` to every server version: a 404 there is another program.
        access.results.append(_not_plex(url, "404 (not found)"))
        return False
    except PlexError as exc:
        if _unreadable(exc) and _unreadable(identity_error):
            access.results.append(_not_plex(url, "with a page that is not Plex's"))
        else:
            access.results.append(_unusable(url, exc))
        return False
    version = info.version or (identity.version if identity is not None else "?")
    access.server = {
        "url": url,
        "version": version,
        "platform": info.platform,
        "name": info.friendly_name,
    }
    access.results.append(
        CheckResult(
            "plex",
            OK,
            f"Plex {version} ({info.platform or '?'}, {info.friendly_name!r}) reachable at {url}; "
            "token accepted",
            details=dict(access.server),
        )
    )
    return True


def _closest(title: str, candidates: list[str]) -> str | None:
    folded = {c.casefold(): c for c in candidates}
    near = difflib.get_close_matches(title.casefold(), list(folded), n=1, cutoff=0.0)
    return folded[near[0]] if near else None


def select_configured(available: list[Any], raw_titles: str) -> tuple[list[Any], CheckResult]:
    """The configured sections found, and one result naming every problem with the fix."""
    movies = [s for s in available if s.is_movie]
    names = ", ".join(repr(s.title) for s in movies) or "(none)"
    wanted = title_list(raw_titles)
    if not wanted:
        if not movies:
            return [], CheckResult(
                "sections",
                FAIL,
                "Plex has no movie-type library (Movies or Other Videos)",
                "add a Movies or Other Videos library in Plex covering Stash's folders",
            )
        return movies, CheckResult(
            "sections", OK, f"Plex libraries: every movie-type library ({names})"
        )
    chosen: list[Any] = []
    problems: list[str] = []
    fixed: list[str] = []
    for title in wanted:
        hits = [s for s in available if s.title.strip().casefold() == title.casefold()]
        usable = [s for s in hits if s.is_movie]
        if usable:
            chosen.extend(s for s in usable if s not in chosen)
            fixed.append(title)
            continue
        if hits:
            problems.append(
                f"{title!r} is a {hits[0].type} library (only movie-type ones hold scenes)"
            )
        else:
            closest = _closest(title, [s.title for s in movies])
            hint = f"; did you mean {closest!r}?" if closest else ""
            problems.append(f"{title!r} not found{hint}")
            if closest:
                fixed.append(closest)
    if not problems:
        return chosen, CheckResult(
            "sections", OK, "Plex libraries: " + ", ".join(repr(s.title) for s in chosen)
        )
    value = ", ".join(dict.fromkeys(fixed))
    fix = (
        f"set {setting_place('plex_library')} to {value!r}"
        if value
        else f"set {setting_place('plex_library')} to one of: {names}"
    )
    line = f"Plex library {'; '.join(problems)} (movie-type libraries: {names})"
    return chosen, CheckResult("sections", FAIL, line, fix, {"available": names})


def check_plex(config: Any, data_dir: Path) -> PlexAccess:
    """Reachability, token, edit permission and sections; stops at the first blocking failure."""
    from plex.opener import open_plex

    access = PlexAccess()
    try:
        client = open_plex(config, data_dir)
    except ConfigError as exc:
        access.results.append(
            CheckResult(
                "plex", FAIL, f"Plex URL unusable: {exc}", f"correct {setting_place('plex_url')}"
            )
        )
        return access
    if not _connect(client, access):
        client.close()
        return access
    access.results.append(_probe_owner(client))
    if any(r.failed for r in access.results):
        client.close()
        return access
    try:
        available = client.all_sections()
    except PlexError as exc:
        access.results.append(
            CheckResult(
                "sections",
                FAIL,
                f"Plex libraries unreadable: {exc}",
                "run Health Check again; if this stays, look at Plex's own log",
            )
        )
        client.close()
        return access
    access.sections, result = select_configured(available, config.plex_library)
    access.results.append(result)
    access.client = client
    return access


def refresh_index(client: Any, sections: list[Any], data_dir: Path) -> tuple[Any, CheckResult]:
    """The path index brought up to date (incremental when possible); (index or None, result)."""
    import sqlite3

    from plex.index import PathIndex

    try:
        index = PathIndex(data_dir)
    except (sqlite3.Error, OSError) as exc:
        return None, CheckResult("index", FAIL, f"Path index unusable: {exc}")
    try:
        report = index.refresh(client, sections)
    except PlexError as exc:
        index.close()
        return None, CheckResult(
            "index",
            FAIL,
            f"Plex listing failed while refreshing the path index: {exc}",
            "retry later",
        )
    how = []
    if report.full_sections:
        how.append(f"full listing of {len(report.full_sections)} section(s)")
    if report.incremental_sections:
        how.append(f"incremental update of {len(report.incremental_sections)} section(s)")
    line = (
        f"Path index: {len(index)} Plex item(s) indexed ({', '.join(how) or 'nothing to do'}, "
        f"{report.requests} listing request(s))"
    )
    details: dict[str, object] = {
        "items": len(index),
        "listing_requests": report.requests,
        "full_sections": report.full_sections,
        "incremental_sections": report.incremental_sections,
    }
    if report.notes:
        details["notes"] = report.notes
    return index, CheckResult("index", OK, line, details=details)


def section_results(sections: list[Any], entries: list[Any]) -> list[CheckResult]:
    """One line per configured section: type, agent, item count, Location paths."""
    items: dict[int, set[int]] = {}
    for entry in entries:
        items.setdefault(entry.section_id, set()).add(entry.rating_key)
    results = []
    for section in sections:
        count = len(items.get(section.id, ()))
        locations = ", ".join(section.locations) or "(no folders)"
        line = (
            f"Library {section.title!r} ({section.type}, "
            f"{section.scanner or section.agent or '?'}): {count} item(s); folders: {locations}"
        )
        status, fix = OK, ""
        if not section.locations:
            status, fix = WARN, f"add the folder holding Stash's files to {section.title!r} in Plex"
        details = {"id": section.id, "items": count, "locations": list(section.locations)}
        results.append(CheckResult(f"section {section.title}", status, line, fix, details))
    return results
