"""The Plex emulator's per-item, per-field refusal switch (`refuse_edits`, issue 15), through
the project's own client, and the refusal memory it leads to in `sync_state.db`."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.errors import PlexAuthError, PlexTransient
from plex.client import PlexClient
from plex.errors import PlexBadRequest
from sandbox.plex_emu import PlexEmulator
from sync_queue.refusals import StoredRefusal
from sync_queue.sync_state import SyncStateStore


def test_refuse_edits_refuses_one_field_of_one_item(plex_emu: PlexEmulator, tmp_path: Path) -> None:
    one = plex_emu.add_item(1, ["/media/movies/one.mkv"])
    two = plex_emu.add_item(1, ["/media/movies/two.mkv"])
    plex_emu.refuse_edits = {(one.rating_key, "studio"): 403, (two.rating_key, "poster"): 400}
    with PlexClient(plex_emu.url, plex_emu.token, data_dir=tmp_path) as client:
        with pytest.raises(PlexAuthError):
            client.put_edit(1, f"id={one.rating_key}&studio.value=S&title.value=T&type=1")
        assert one.studio is None and one.title != "T"  # all or nothing
        client.put_edit(1, f"id={one.rating_key}&title.value=T&type=1")
        client.put_edit(1, f"id={two.rating_key}&studio.value=S&type=1")
        assert (one.title, two.studio) == ("T", "S")
        with pytest.raises(PlexBadRequest):
            client.upload_image(two.rating_key, "poster", b"\x89PNG")
        client.upload_image(two.rating_key, "art", b"\x89PNG")
        client.upload_image(one.rating_key, "poster", b"\x89PNG")
        assert two.selected_poster is None and two.selected_art and one.selected_poster
        plex_emu.refuse_edits = {(None, "title"): 500}  # any item: a transient answer
        with pytest.raises(PlexTransient):
            client.put_edit(1, f"id={two.rating_key}&title.value=U&type=1")
        assert client.fetch_items([one.rating_key, two.rating_key])  # reads are untouched


def test_the_refusal_memory_is_replaced_per_scene_and_forgotten(tmp_path: Path) -> None:
    studio = StoredRefusal(11, "studio", "fp1", 403)
    poster = StoredRefusal(12, "poster", "sha", 400)
    with SyncStateStore(tmp_path) as store:
        store.replace_refusals({1: [studio], 2: [poster]})
        assert store.refusals([1, 2, 3]) == {1: (studio,), 2: (poster,)}
        store.replace_refusals({1: []})  # written at last: forgotten
        assert store.refusals([1, 2]) == {2: (poster,)}
        store.replace_refusals({1: [studio]})
        assert store.forget_refusals() == 2  # Retry Failed
        assert store.refusals([1, 2]) == {}
