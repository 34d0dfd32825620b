"""Poster and background routes of the Plex emulator: upload, list, select, serve.

An upload from bytes becomes resource `upload://posters/<sha1>` (or `upload://arts/...`), is
selected, locks `thumb`/`art` and moves the item's image URL to `.../thumb/<epoch>`.
"""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox.images import sniff_content_type
from sandbox.model import PlexImage, PlexItem
from sandbox.plex_emu.state import PlexState


@dataclass(frozen=True)
class ImageKind:
    plural: str  # route segment and list attribute: "posters" / "arts"
    selected_attr: str  # "selected_poster" / "selected_art"
    url_attr: str  # item attribute holding the URL: "thumb" / "art"
    lock: str  # field lock name


POSTERS = ImageKind("posters", "selected_poster", "thumb", "thumb")
ARTS = ImageKind("arts", "selected_art", "art", "art")
KINDS = {"posters": POSTERS, "arts": ARTS, "poster": POSTERS, "art": ARTS, "thumb": POSTERS}


def resources(item: PlexItem, kind: ImageKind) -> list[PlexImage]:
    return getattr(item, kind.plural)


def fetch_url(url: str, timeout: float = 5.0) -> bytes | None:
    """What PMS would download for `?url=` uploads; loopback only (the sandbox has no WAN)."""
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost"):
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return bytes(response.read())
    except OSError:
        return None


def select(state: PlexState, item: PlexItem, kind: ImageKind, rating_key: str) -> None:
    setattr(item, kind.selected_attr, rating_key)
    item.locked.add(kind.lock)
    state.touch(item)
    setattr(
        item,
        kind.url_attr,
        f"/library/metadata/{item.rating_key}/{kind.url_attr}/{item.updated_at}",
    )


def upload(
    state: PlexState,
    item: PlexItem,
    kind: ImageKind,
    body: bytes,
    url: str | None,
    fetched: bytes | None = None,
) -> int:
    """POST .../posters or .../arts; returns the HTTP status (400 without url or body)."""
    if url:
        image = PlexImage(rating_key=url, data=fetched, url=url)
    elif body:
        digest = hashlib.sha1(body).hexdigest()
        image = PlexImage(rating_key=f"upload://{kind.plural}/{digest}", data=body)
    else:
        return 400
    existing = next((r for r in resources(item, kind) if r.rating_key == image.rating_key), None)
    if existing is None:
        resources(item, kind).append(image)
    elif image.data is not None:
        existing.data = image.data
    if getattr(item, kind.selected_attr) == image.rating_key and kind.lock in item.locked:
        return 200  # the same image again: nothing changes
    if state.modes.unapplied_uploads > 0:
        # An upload Plex stored but did not select (issue 15: plexapi marks its image tests
        # flaky against real Plex); the item's listed posters show it unselected.
        state.modes.unapplied_uploads -= 1
        return 200
    select(state, item, kind, image.rating_key)
    return 200


def choose(state: PlexState, item: PlexItem, kind: ImageKind, url: str | None) -> str | None:
    """PUT .../poster?url=<resource ratingKey>; returns the new image path, None if unknown."""
    if not url or not any(r.rating_key == url for r in resources(item, kind)):
        return None
    if getattr(item, kind.selected_attr) != url:
        select(state, item, kind, url)
    else:
        item.locked.add(kind.lock)
    return getattr(item, kind.url_attr)


def selected_bytes(item: PlexItem, kind: ImageKind) -> tuple[bytes, str] | None:
    """Bytes and content type of the selected resource (any timestamp in the URL is served)."""
    chosen = getattr(item, kind.selected_attr)
    for res in resources(item, kind):
        if res.rating_key == chosen and res.data is not None:
            return res.data, sniff_content_type(res.data)
    return None


def resource_bytes(item: PlexItem, rating_key: str) -> tuple[bytes, str] | None:
    for res in [*item.posters, *item.arts]:
        if res.rating_key == rating_key and res.data is not None:
            return res.data, sniff_content_type(res.data)
    return None
