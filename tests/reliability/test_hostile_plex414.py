"""A Plex (or a proxy in front of it) that answers 414 to long URLs (issue 9, area 4b).

Edits travel as query strings. The writer keeps each request line within 8 KiB, re-splits an
edit Plex refused with 414 (edits are idempotent), and when one field alone is too long (a
10,000-character summary, 200 long genre names) the scene fails with one line naming 414,
the URL length and the field, never the token; its other fields and every other scene land.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

import pytest

from base.status import SceneStatus
from demo.check import item_problems
from plex.client import PlexClient
from plex.diff import PlexItemState, diff_item
from plex.edit_encoding import edit_path, encode_edit, wire_length
from plex.writer import PlexWriter, WriteTask
from sandbox.plex_emu import PlexEmulator
from tests.reliability.content_support import plant
from tests.reliability.integrity import failed_ids
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.desired import DesiredItem, DesiredOptions, build_desired

EDIT = "PUT /library/sections/{id}/all"
REFUSED = "414"  # the emulator's route label for a refused long URL
_FIELD = re.compile(r"the ([\w, ]+) edit of item (\d+)")
# Plex edit names -> the generator's PlexItem attribute names (in item_problems' wording).
_ATTR = {"originallyAvailableAt": "originally_available_at", "userRating": "user_rating"}


@pytest.mark.parametrize("limit", [8192, 2048])
def test_a_plex_refusing_long_urls_fails_only_what_cannot_be_split(
    chaos_world: Callable[..., ChaosWorld], tally: Tally, limit: int
) -> None:
    scenes = pick(50, 400)
    world = chaos_world(scenes=scenes, seed=47)
    rng = random.Random(47)
    hostile = ["1 MB details", "2,000 tags", "punctuation in names", "every script"]
    chosen = rng.sample(world.matchable(), len(hostile) * pick(1, 4))
    for index, sid in enumerate(chosen):
        if len(world.generated.truth.scenes[sid].targets) == 1:
            plant(world.generated, sid, hostile[index % len(hostile)], rng)
    world.plex.knobs.max_url_length = limit
    world.sandbox.configure_plugin(debug_logging=True)  # each scene's detail: a debug line
    tally.area = "hostile"
    tally.scenario = f"Plex answers 414 above {limit:,}-byte URLs; {scenes}-scene Sync All"

    run = world.run("sync_all")
    assert run.exit_code == 0 and run.error is None, run.stderr[-3000:]
    tally.faults = world.plex.log.count(REFUSED)
    assert tally.faults > 0, "the scenario refused nothing"

    refused = failed_ids(world.data_dir) & set(world.matchable())
    (failed,) = run.messages("warning")  # the summary: the refused scenes in one line
    assert f"refused by Plex ({len(refused)}, e.g. " in failed, failed
    units = 0
    for sid in sorted(refused):
        scene = re.compile(rf'^\[debug\] Scene {sid}( "[^\n]*")?: failed, refused by Plex: ')
        lines = [m for m in run.messages() if scene.match(m)]
        assert len(lines) == 1, lines
        line = lines[0]
        assert "414" in line and "URL" in line and len(line) < 600, line
        named = _FIELD.findall(line)
        assert named, line
        units += len(named)
        fields = [_ATTR.get(f, f) for names, _ in named for f in names.split(", ")]
        # Only the fields named are out of step: everything else of the scene landed.
        for rk in (rk for _, rk in world.generated.truth.scenes[sid].targets):
            problems = item_problems(world.plex.library.items[rk], world.generated, sid)
            assert problems and all(any(f in p for f in fields) for p in problems), problems
    world.measure(tally, scenes=set(world.matchable()) - refused)
    assert tally.clean, tally.summary()
    if limit == 8192:  # 10,000-character summaries and 200 long names: planted or generated
        # Packed edits fit an 8 KiB request line: every 414 was one field refused alone.
        assert world.plex.log.count(REFUSED) <= units
        truth = world.generated.truth
        assert refused and refused <= set(chosen) | truth.heavy | truth.long_details


# --- the writer against a 414-answering emulator, in process ---------------------------------


@pytest.fixture
def plex_side(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PlexEmulator, PlexWriter]]:
    emu = PlexEmulator()
    emu.add_section("Movies", ["/media/movies"])
    with emu, PlexClient(emu.url, emu.token, data_dir=tmp_path_factory.mktemp("p")) as client:
        yield emu, PlexWriter(client, images=lambda url: b"")


def _desired(summary: str, genres: list[str], actors: list[str] = ()) -> DesiredItem:  # type: ignore[assignment]
    scene = {
        "id": "1",
        "title": "Long edits",
        "details": summary,
        "tags": [{"name": n} for n in genres],
        "performers": [{"name": n} for n in actors],
        "paths": {"screenshot": None},
    }
    desired = build_desired(scene, DesiredOptions())
    assert isinstance(desired, DesiredItem)
    return desired


def _write(emu: PlexEmulator, writer: PlexWriter, desired: DesiredItem):  # type: ignore[no-untyped-def]
    item = emu.add_item(1, [f"/media/movies/{len(emu.library.items)}.mkv"])
    result = writer.write(
        WriteTask(desired, ((1, item.rating_key),)), writer.client.fetch_items([item.rating_key])
    )
    return result, emu.library.items[item.rating_key]


def test_edits_packed_up_to_8_kib_fit_an_8_kib_request_line(
    plex_side: tuple[PlexEmulator, PlexWriter],
) -> None:
    """Regression: the split limit counted the query only, so a full bin plus the path and
    request line went over an 8 KiB URL limit and came back 414."""
    emu, writer = plex_side
    emu.knobs.max_url_length = 8192
    genres = [f"Genre{i:03d}" for i in range(150)]  # one add list of about 4.7 KB
    crossing = 0
    for length in range(3330, 3420, 3):  # the packed query crosses 8 KiB minus the path
        desired = _desired("s" * length, genres)
        plan = diff_item(PlexItemState(1, 1), desired)
        path = len(edit_path(1, ""))
        crossing += any(path + wire_length(q) > 8192 for q in encode_edit(plan))
        result, item = _write(emu, writer, desired)
        assert result.status is SceneStatus.SYNCED, (length, result.message)
        assert item.summary == "s" * length and len(item.tags["genre"]) == 150
    assert crossing > 0, "no length packed a query between 8 KiB minus the path and 8 KiB"
    assert emu.log.count(REFUSED) == 0


def test_a_414_is_split_again_and_the_edit_lands(
    plex_side: tuple[PlexEmulator, PlexWriter],
) -> None:
    emu, writer = plex_side
    emu.knobs.max_url_length = 1024
    # Every unit fits 1 KiB (summary ~600 B, genres ~700 B, actors ~650 B); together they do not.
    desired = _desired("w " * 150, [f"G{i}" for i in range(25)], [f"Actor {i}" for i in range(20)])
    result, item = _write(emu, writer, desired)
    assert result.status is SceneStatus.SYNCED, result.message
    assert item.summary == desired.fields["summary"]
    assert item.tags["genre"] == list(desired.tags["genre"])
    assert item.tags["actor"] == list(desired.tags["actor"])
    assert {"summary", "genre", "actor", "title"} <= item.locked
    assert 1 <= emu.log.count(REFUSED) <= 4  # halving: 8 KiB -> 1 KiB in a few steps


def test_one_field_too_long_fails_the_scene_clearly_and_the_rest_lands(
    plex_side: tuple[PlexEmulator, PlexWriter],
) -> None:
    emu, writer = plex_side
    emu.knobs.max_url_length = 8192
    desired = _desired("你好世界 " * 2000, ["Short"], ["Someone"])  # 10,000 chars, ~80 KB
    result, item = _write(emu, writer, desired)
    assert result.status is SceneStatus.PLEX_REFUSED
    message = result.message
    assert "414" in message and "URL" in message and "summary" in message, message
    assert f"item {item.rating_key}" in message and len(message) < 400, message
    assert emu.token not in message and "%E4" not in message  # no token, no query dump
    assert item.summary is None and "summary" not in item.locked
    assert item.title == "Long edits" and item.tags["genre"] == ["Short"]
    assert item.tags["actor"] == ["Someone"]
