"""The writer meeting a refused edit (issue 15), in process against the Plex emulator: a
per-item refusal is narrowed down field by field after one probe read; a revoked token (the
probe refused too) still raises; a remembered refusal is not sent again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from base.errors import PlexAuthError
from base.status import SceneStatus
from plex.client import PlexClient
from plex.writer import PlexWriter, WriteTask
from sandbox.plex_emu import PlexEmulator
from validation.desired import DesiredItem, DesiredOptions, build_desired

EDIT = "PUT /library/sections/{id}/all"
FETCH = "GET /library/metadata/{keys}"


@pytest.fixture
def side(tmp_path: Path) -> Iterator[tuple[PlexEmulator, PlexWriter]]:
    emu = PlexEmulator()
    emu.add_section("Movies", ["/media/movies"])
    with emu, PlexClient(emu.url, emu.token, data_dir=tmp_path) as client:
        yield emu, PlexWriter(client, images=lambda url: b"")


def _desired() -> DesiredItem:
    scene = {
        "id": "1",
        "title": "Refused",
        "details": "A summary",
        "studio": {"name": "Studio"},
        "tags": [{"name": "Genre"}],
        "paths": {"screenshot": None},
    }
    desired = build_desired(scene, DesiredOptions())
    assert isinstance(desired, DesiredItem)
    return desired


def test_a_403_on_one_field_is_narrowed_down_after_one_probe(
    side: tuple[PlexEmulator, PlexWriter],
) -> None:
    emu, writer = side
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    rk = item.rating_key
    emu.refuse_edits = {(rk, "studio"): 403}
    desired = _desired()
    snapshots = writer.client.fetch_items([rk])
    emu.log.clear()

    result = writer.write(WriteTask(desired, ((1, rk),)), snapshots)

    assert result.status is SceneStatus.PLEX_REFUSED, result.message
    assert [(r.rating_key, r.field, r.status) for r in result.refused_now] == [(rk, "studio", 403)]
    assert f"studio edit of item {rk} (403 Forbidden)" in result.message
    assert item.studio is None and item.title == "Refused" and item.summary == "A summary"
    assert item.tags["genre"] == ["Genre"] and "studio" not in item.locked
    # One whole PUT (403), one probe read, then each unit alone: title, summary, studio,
    # genre, collection (the studio is also a collection by default).
    assert emu.log.count(FETCH) == 1 and emu.log.count(EDIT) == 6
    assert result.fingerprints is not None and "studio" not in result.fingerprints
    assert "summary" in result.fingerprints and "studio" not in result.written

    # Remembered: not sent again, nothing else to write.
    emu.log.clear()
    again = writer.write(
        WriteTask(desired, ((1, rk),), result.fingerprints, frozenset({(1, rk)}), result.refusals),
        writer.client.fetch_items([rk]),
    )
    assert again.status is SceneStatus.PLEX_REFUSED and again.refused_now == ()
    assert [r.field for r in again.refused_before] == ["studio"]
    assert emu.log.count(EDIT) == 0 and "refused before" in again.message


def test_a_revoked_token_is_not_taken_for_a_refusal(
    side: tuple[PlexEmulator, PlexWriter],
) -> None:
    emu, writer = side
    item = emu.add_item(1, ["/media/movies/b.mkv"])
    snapshots = writer.client.fetch_items([item.rating_key])
    emu.revoke_token()
    emu.log.clear()
    with pytest.raises(PlexAuthError):
        writer.write(WriteTask(_desired(), ((1, item.rating_key),)), snapshots)
    # The PUT and the probe read, both 401; no field-by-field resend.
    assert [(r.route, r.status) for r in emu.log.records] == [(EDIT, 401), (FETCH, 401)]


def test_a_remembered_refusal_is_sent_again_once_the_value_changes(
    side: tuple[PlexEmulator, PlexWriter],
) -> None:
    emu, writer = side
    rk = emu.add_item(1, ["/media/movies/c.mkv"]).rating_key
    emu.refuse_edits = {(rk, "studio"): 403}
    first = writer.write(WriteTask(_desired(), ((1, rk),)), writer.client.fetch_items([rk]))
    assert [r.field for r in first.refused_now] == ["studio"]
    emu.refuse_edits = {}
    changed = build_desired(
        {
            "id": "1",
            "title": "Refused",
            "details": "A summary",
            "studio": {"name": "Other"},
            "tags": [{"name": "Genre"}],
            "paths": {"screenshot": None},
        },
        DesiredOptions(),
    )
    assert isinstance(changed, DesiredItem)
    emu.log.clear()
    task = WriteTask(
        changed, ((1, rk),), first.fingerprints or {}, frozenset({(1, rk)}), first.refusals
    )
    result = writer.write(task, writer.client.fetch_items([rk]))
    assert result.status is SceneStatus.SYNCED and result.refusals == ()
    assert emu.item(rk).studio == "Other" and emu.log.count(EDIT) == 1
