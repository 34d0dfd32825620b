"""Images that count only when Plex shows them applied, and the images Plex has selected now.

After an upload the posters (arts) list must show a selected `upload://` resource whose key ends
with the bytes' SHA-1: what plexapi's own tests check (tests/test_mixins.py, startswith
"upload://" and endswith the SHA-1), one GET per upload; an upload that did not apply is sent
once more, then the scene is retried later. `selected_now` fills `PlexItemState.selected_*`.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from plex.diff import PlexItemState

__all__ = ["IMAGE_ATTEMPTS", "ImageClient", "applied", "selected_now", "upload_applied"]

IMAGE_ATTEMPTS = 2  # uploads per image and write before the scene is left for a later retry


class ImageClient(Protocol):
    def upload_image(self, rating_key: int, kind: str, data: bytes) -> None: ...

    def selected_image(self, rating_key: int, kind: str) -> str | None: ...


def applied(selected: str | None, sha1: str) -> bool:
    """The selected resource is our upload of exactly these bytes."""
    return selected is not None and selected.startswith("upload://") and selected.endswith(sha1)


def upload_applied(client: ImageClient, rating_key: int, kind: str, data: bytes, sha1: str) -> int:
    """Upload until Plex shows it selected (at most `IMAGE_ATTEMPTS`); the uploads sent, negative
    when it never applied."""
    for attempt in range(1, IMAGE_ATTEMPTS + 1):
        client.upload_image(rating_key, kind, data)
        if applied(client.selected_image(rating_key, kind), sha1):
            return attempt
    return -IMAGE_ATTEMPTS


def selected_now(client: ImageClient, state: PlexItemState, kinds: list[str]) -> PlexItemState:
    """`state` with the resources Plex has selected now for `kinds` (one GET each)."""
    found = {f"selected_{kind}": client.selected_image(state.rating_key, kind) for kind in kinds}
    return dataclasses.replace(state, **found)
