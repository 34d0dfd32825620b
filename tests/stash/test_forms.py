"""Version-specific forms (stash.forms) and the settings query every release accepts."""

from __future__ import annotations

import pytest
from graphql import build_ast_schema, parse, validate

from sandbox.stash_emu.gql import SDL_PATH
from sandbox.stash_emu.releases import release_document
from stash.forms import (
    GROUPS,
    IDS_ARGUMENT,
    MOVIES,
    PLAY_HISTORY,
    SCENE_IDS_ARGUMENT,
    forms_for,
    uses,
)
from stash.protocol import plugin_settings_of, plugin_settings_query


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ((0, 0, 0), {SCENE_IDS_ARGUMENT, MOVIES}),
        ((0, 24, 3), {SCENE_IDS_ARGUMENT, MOVIES}),
        ((0, 25, 0), {IDS_ARGUMENT, MOVIES, PLAY_HISTORY}),
        ((0, 26, 2), {IDS_ARGUMENT, MOVIES, PLAY_HISTORY}),
        ((0, 27, 0), {IDS_ARGUMENT, GROUPS, PLAY_HISTORY}),
        ((0, 30, 1), {IDS_ARGUMENT, GROUPS, PLAY_HISTORY}),
    ],
)
def test_forms_follow_the_release_thresholds(
    version: tuple[int, int, int], expected: set[str]
) -> None:
    assert forms_for(version) == expected
    assert all(uses(version, form) for form in expected)


def test_an_unknown_form_is_a_bug() -> None:
    with pytest.raises(ValueError):
        uses((0, 30, 1), "findScenes(idz)")


@pytest.mark.parametrize("plugin_id", ["Stash2Plex", 'we"ird\\id', "émoji 🎬", "a\nb"])
@pytest.mark.parametrize("tag", ["v0.24.3", "v0.30.1"])
def test_settings_query_is_valid_on_string_and_id_include(plugin_id: str, tag: str) -> None:
    # `include` is [String!] on v0.24 and [ID!] later: the inlined literal fits both, and
    # quoting survives any id (the parsed literal is the id itself).
    schema = build_ast_schema(release_document(SDL_PATH.read_text(encoding="utf-8"), tag))
    document = parse(plugin_settings_query(plugin_id))
    assert validate(schema, document) == []
    argument = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    literal = argument.selection_set.selections[0].arguments[0].value.values[0]
    assert literal.value == plugin_id


def test_settings_of_reads_only_the_asked_plugin() -> None:
    data = {"configuration": {"plugins": {"Other": {"a": 1}, "Stash2Plex": {"plexUrl": "x"}}}}
    assert plugin_settings_of(data, "Stash2Plex") == {"plexUrl": "x"}
    assert plugin_settings_of(data, "Missing") == {}
    assert plugin_settings_of({"configuration": None}, "Stash2Plex") == {}
