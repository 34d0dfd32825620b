"""Hostile metadata through a whole Sync All with the real worker process (issue 9, area 4b).

Scenes get 1 MB details, controls and NUL, emoji, right-to-left and NFD text, every script,
2,000 tags, names full of query syntax, over-long names and 4,000-character paths. Plex must
then hold exactly what SPEC §2.5 says (the generator's independent expectation, or the
SPEC's own where the two differ), nothing else changes, a re-sync writes nothing, and a
changed list of comma-laden tags converges. A summary whose edit alone is over Plex's URL
limit fails its scene with one line naming it, the other fields landed. A property test sends
arbitrary text through desired state, the writer, the emulator's parser and its XML answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from base.status import SceneStatus
from demo.check import item_problems
from plex.client import PlexClient
from plex.writer import PlexWriter, WriteTask
from sandbox.model import PlexItem, StashPerformer, StashTag
from sandbox.plex_emu import PlexEmulator
from tests.reliability.content_support import (
    CASES,
    CONTROLS,
    EMOJI_RTL,
    NFD_TITLE,
    OVER_URL_LIMIT,
    PUNCTUATION_NAMES,
    SCRIPTS,
    long_path,
    path_candidates,
    plant,
)
from tests.reliability.integrity import failed_ids
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.desired import DesiredItem, DesiredOptions, build_desired
from validation.limits import MAX_GENRES, MAX_NAME_CHARS, MAX_SUMMARY_CHARS

EDIT = "PUT /library/sections/{id}/all"
# What SPEC §2.5 removes: C0/C1 controls, NUL, DEL; plus what XML cannot carry.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _failed_line(scene_id: int) -> re.Pattern[str]:
    """The debug line of one failed scene (`Scene 41 "Title": failed, ...`)."""
    return re.compile(rf'^\[debug\] Scene {scene_id}( "[^\n]*")?: failed, ')


def _item(world: ChaosWorld, sid: int) -> PlexItem:
    return world.plex.library.items[world.generated.truth.scenes[sid].targets[0][1]]


def _plant_divergent(world: ChaosWorld, sid: int) -> str:
    """Input where the generator's plain expectation is not the SPEC's; returns Plex's title.

    SPEC §2.5: an empty title is skipped (a blank or control-only title is empty once
    cleaned), line breaks are kept in details (a lone CR is one), XML-illegal noncharacters go
    with the controls, and a single-line name turns a tab or newline into a space (words stay
    apart). A 255-character cut never splits a letter from its accent.
    """
    scene = world.generated.stash.scenes[sid]
    with world.generated.stash.lock:
        scene.title = " \t\x00\x07 "
        scene.details = "mac\rline\ufffe break\uffff"
        pid, tid = 9_000_001 + sid * 2, 9_000_002 + sid * 2
        world.generated.stash.performers[pid] = StashPerformer(pid, "Line\nBreak\tName")
        world.generated.stash.tags[tid] = StashTag(tid, "a" * 254 + "e\u0301" + "z" * 9)
        scene.performer_ids = [pid]
        scene.tag_ids = [tid]
    return _item(world, sid).title


def _divergent_problems(world: ChaosWorld, sid: int, old_title: str) -> list[str]:
    item = _item(world, sid)
    want = {
        "title": old_title,
        "summary": "mac\nline break",
        "actor": ["Line Break Name"],
        "genre": ["a" * 254],
    }
    have = {
        "title": item.title,
        "summary": item.summary,
        "actor": item.tags.get("actor"),
        "genre": item.tags.get("genre"),
    }
    problems = [f"scene {sid}: {k} is {have[k]!r:.80}" for k in want if have[k] != want[k]]
    if not {"summary", "actor", "genre"} <= item.locked:
        problems.append(f"scene {sid}: locks {sorted(item.locked)}")
    return problems


def _edits(world: ChaosWorld, besides: set[str] = frozenset()) -> int:  # type: ignore[assignment]
    """Edit PUTs answered, those of items `besides` not counted."""
    records = world.plex.log.records
    return sum(1 for r in records if r.route == EDIT and dict(r.query).get("id") not in besides)


def test_hostile_metadata_lands_exactly_and_a_resync_writes_nothing(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    copies = pick(1, 5)
    scenes = pick(60, 600)
    world = chaos_world(scenes=scenes, seed=41)
    rng = random.Random(41)
    candidates = path_candidates(world.generated)
    cases = [case for case in CASES for _ in range(copies)]
    chosen = rng.sample(candidates, len(cases) + copies + 1)
    planted = dict(zip(chosen, cases, strict=False))
    long_paths = chosen[len(cases) : len(cases) + copies]
    divergent = chosen[-1]
    for sid, case in planted.items():
        plant(world.generated, sid, case, rng)
    for sid in long_paths:
        assert len(long_path(world.generated, sid)) == 4_000
    old_title = _plant_divergent(world, divergent)
    hostile = [*planted, *long_paths, divergent]
    tally.area = "hostile"
    tally.scenario = (
        f"{len(hostile)} hostile scenes (1 MB details, controls, emoji, RTL, NFD, every script, "
        f"2,000 tags, query syntax in names, 4,000-char paths) in a {scenes}-scene Sync All"
    )
    tally.faults = len(hostile)

    # A Plex (or proxy) refusing request lines over 64 KiB, as Python's own HTTP server does.
    world.plex.knobs.max_url_length = 64 * 1024
    world.sandbox.configure_plugin(debug_logging=True)  # each scene's detail: a debug line

    run = world.run("sync_all")
    assert run.exit_code == 0 and run.error is None, run.stderr[-3000:]
    assert run.output["due_remaining"] == 0, run.output  # type: ignore[index]
    too_long = {sid for sid, case in planted.items() if case in OVER_URL_LIMIT}
    watched = [sid for sid in world.matchable() if sid != divergent and sid not in too_long]
    world.measure(tally, scenes=watched)
    tally.add_wrong(_divergent_problems(world, divergent, old_title))
    assert tally.clean, tally.summary()
    assert failed_ids(world.data_dir) & set(hostile) == too_long
    # Over the URL limit: the summary's failed line names the scenes and the reason; one
    # debug line per scene names 414 and the cause; every other field of the scene landed
    # (only the summary differs).
    (failed,) = run.messages("warning")
    assert "refused by Plex" in failed
    for sid in too_long:
        lines = [m for m in run.messages() if _failed_line(sid).match(m)]
        assert len(lines) == 1, run.messages()
        assert all(w in lines[0] for w in ("414", "URL", "summary")), lines[0]
        assert len(lines[0]) < 500, lines[0]
        problems = item_problems(_item(world, sid), world.generated, sid)
        assert problems and all("summary" in p for p in problems), problems

    # Spot checks the generic comparison cannot state: limits applied, controls gone.
    for sid, case in planted.items():
        item = _item(world, sid)
        assert "\x00" not in repr(item.__dict__), sid
        if case == "1 MB details":
            assert item.summary is not None and len(item.summary) == MAX_SUMMARY_CHARS
        if case == "2,000 tags":
            assert len(item.tags["genre"]) == MAX_GENRES and len(item.tags["actor"]) == 200
        if case == "over-long names":
            assert item.title == "T" * MAX_NAME_CHARS and item.studio == "S" * MAX_NAME_CHARS

    # Nothing hostile makes a scene look changed forever: a second Sync All writes nothing
    # (the scenes over the URL limit are not in step, so they are tried again).
    retried = {str(rk) for sid in too_long for _, rk in world.generated.truth.scenes[sid].targets}
    before = _edits(world, retried)
    again = world.run("sync_all")
    assert again.exit_code == 0, again.stderr[-2000:]
    assert _edits(world, retried) == before, "a re-sync of unchanged scenes sent edits"

    # Removing comma-, quote- and percent-laden tags: the removal list is itself
    # comma-joined on the wire, so each name must travel as one.
    punct = [sid for sid, case in planted.items() if case == "punctuation in names"]
    with world.generated.stash.lock:
        for sid in punct:
            scene = world.generated.stash.scenes[sid]
            scene.tag_ids = scene.tag_ids[::2]
            scene.performer_ids = scene.performer_ids[1::2]
            scene.updated_at = world.stash.now()
    third = world.run("sync_all")
    assert third.exit_code == 0, third.stderr[-2000:]
    check = Tally(area="hostile", scenario="after removals")
    world.measure(check, scenes=watched)
    assert check.clean, check.summary()
    for sid in punct:
        genres = _item(world, sid).tags["genre"]
        assert sorted(genres) == sorted(PUNCTUATION_NAMES[::2]), genres
    assert _edits(world, retried) - before == len(punct)


# --- property: arbitrary text through desired state, the edit wire and back -----------------

ANY_CHAR = st.characters(blacklist_categories=())  # controls, surrogates, noncharacters too
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.builds(lambda t, n: t * n, st.text(ANY_CHAR, min_size=1, max_size=8), st.integers(1, 400)),
    st.sampled_from([*SCRIPTS.values(), *PUNCTUATION_NAMES, CONTROLS, EMOJI_RTL, NFD_TITLE]),
)
EXAMPLES = pick(60, 400)


@st.composite
def hostile_scenes(draw: st.DrawFn) -> dict[str, object]:
    names = st.lists(TEXT, max_size=6)
    return {
        "id": "7",
        "title": draw(TEXT),
        "details": draw(TEXT),
        "date": "2020-02-03",
        "studio": {"name": draw(TEXT), "parent_studio": None},
        "performers": [{"name": n} for n in draw(names)],
        "tags": [{"name": n} for n in draw(names)],
        "groups": [],
        "paths": {"screenshot": None},
    }


@pytest.fixture(scope="module")
def plex_side(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PlexEmulator, PlexWriter, int]]:
    emu = PlexEmulator()
    emu.add_section("Movies", ["/media/movies"])
    item = emu.add_item(1, ["/media/movies/hostile.mkv"])
    with emu, PlexClient(emu.url, emu.token, data_dir=tmp_path_factory.mktemp("plex")) as client:
        yield emu, PlexWriter(client, images=lambda url: b""), item.rating_key


def _reset(emu: PlexEmulator, rating_key: int) -> None:
    with emu.library.lock:
        item = emu.library.items[rating_key]
        item.title, item.summary, item.studio = "hostile", None, None
        item.tags.clear()
        item.locked.clear()


def test_any_text_reaches_plex_as_sanitised_and_reads_back_equal(
    plex_side: tuple[PlexEmulator, PlexWriter, int], tally: Tally
) -> None:
    """Whatever the text, Plex stores exactly the sanitised value, and a second write is a no-op.

    Through the real writer and client, urllib3's URL handling, the emulator's query parser
    and its XML answer: a value the parser or the XML round trip changed would be re-sent
    forever (or land wrong).
    """
    emu, writer, rating_key = plex_side
    tally.area = "hostile"
    tally.scenario = f"Property: {EXAMPLES} arbitrary texts through desired state -> edit -> Plex"
    tally.faults = EXAMPLES

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(hostile_scenes())
    def check(scene: dict[str, object]) -> None:
        desired = build_desired(scene, DesiredOptions())
        assume(isinstance(desired, DesiredItem))
        assert isinstance(desired, DesiredItem)
        _reset(emu, rating_key)
        task = WriteTask(desired, ((1, rating_key),))
        first = writer.write(task, writer.client.fetch_items([rating_key]))
        assert first.status in (SceneStatus.SYNCED, SceneStatus.UNCHANGED), first
        item = emu.library.items[rating_key]
        for name, value in desired.fields.items():
            attr = {"originallyAvailableAt": "originally_available_at", "userRating": "user_rating"}
            have = getattr(item, attr.get(name, name))
            assert have == value, (name, have, value)
            if isinstance(value, str):  # line breaks and tabs stay in the summary only
                kept = value.replace("\n", "").replace("\t", "") if name == "summary" else value
                assert not _CONTROL.search(kept) and len(value) <= MAX_SUMMARY_CHARS
        for kind, names in desired.tags.items():
            assert [n.casefold() for n in item.tags.get(kind, [])] == [n.casefold() for n in names]
            assert all(len(n) <= MAX_NAME_CHARS and not _CONTROL.search(n) for n in names)
        again = writer.write(
            WriteTask(desired, task.targets, first.fingerprints or {}, frozenset(task.targets)),
            writer.client.fetch_items([rating_key]),
        )
        assert again.status is SceneStatus.UNCHANGED and again.edits == 0, again

    check()
