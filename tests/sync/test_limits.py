"""Hostile metadata within limits: 1 MB of details and 2,000 tags (SPEC §2.5, §7)."""

from __future__ import annotations

from collections.abc import Callable

from base.status import SceneStatus
from plex.edit_encoding import encode_params, wire_length
from sandbox.model import StashPerformer, StashTag
from tests.sync.conftest import EDIT, SyncWorld
from tests.sync.helpers import only_item, pick
from validation.limits import MAX_EDIT_QUERY_BYTES, MAX_GENRES, MAX_SUMMARY_CHARS


def test_a_megabyte_of_details_and_2000_tags_stay_within_limits(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=100, seed=12)
    sid = pick(world)
    base = 10_000_000
    names = [f'Tag {i:04d}, "quoted" & 100%{" 🎬" if i % 7 == 0 else ""}' for i in range(2000)]
    for offset, name in enumerate(names):
        world.stash.add_tag(StashTag(base + offset, name))
    performers = [f"Performer {i} ‏עברית" for i in range(300)]
    for offset, name in enumerate(performers):
        world.generated.stash.performers[base + offset] = StashPerformer(base + offset, name)
    line = "Ünïcödé détails with emoji 😀 and\x00 NUL\x07 controls, right-to-left مرحبا.\n"
    scene = world.generated.stash.scenes[sid]
    scene.details = line * (1_000_000 // len(line) + 1)
    scene.tag_ids = [base + i for i in range(2000)]
    scene.performer_ids = [base + i for i in range(300)]
    world.plex.knobs.max_url_length = 64 * 1024  # a long summary edit still fits

    run = world.run([sid])

    assert run.outcomes[sid].status is SceneStatus.SYNCED, run.outcomes[sid]
    item = only_item(world, sid)
    assert item.summary is not None and 9_000 < len(item.summary) <= MAX_SUMMARY_CHARS
    assert "\x00" not in item.summary and "\x07" not in item.summary
    assert "😀" in item.summary and "مرحبا" in item.summary
    assert [g.casefold() for g in item.tags["genre"]] == [n.casefold() for n in names][:MAX_GENRES]
    assert len(item.tags["actor"]) == 200
    # Split only above 8 KiB; an edit over it carries one unit alone (the summary, or one
    # tag kind's whole add list, which is never split: Plex might replace rather than append).
    edits = [r for r in world.plex.log.records if r.route == EDIT]
    assert 2 <= len(edits) <= 4 and all(r.status == 200 for r in edits)
    for record in edits:
        size = wire_length(encode_params(dict(record.query)))
        units = {
            key.split("[")[0].split(".")[0]
            for key, _ in record.query
            if not key.endswith(".locked")
        }
        units -= {"id", "type"}
        assert size <= MAX_EDIT_QUERY_BYTES or len(units) == 1, (size, units)

    again = world.run([sid])
    assert again.outcomes[sid].status is SceneStatus.UNCHANGED and again.plex[EDIT] == 0
