"""Edit encoding: byte-identical to plexapi's own wire form, round-trips, 8 KiB splitting."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote
from xml.etree import ElementTree

import pytest
from plexapi import utils as plexapi_utils
from plexapi.video import Movie

from plex.diff import EditPlan, FieldChange, TagChange
from plex.edit_encoding import edit_path, encode_edit, wire_length
from validation.limits import MAX_EDIT_QUERY_BYTES

HOSTILE = [
    "Science Fiction",
    "A,B",
    "100% Pure",
    'Say "hi"',
    "it's",
    "Tom & Jerry",
    "a=b",
    "plus+sign",
    "hash#tag",
    "slash/name",
    "back\\slash",
    "😀 emoji 👨\u200d👩\u200d👧",
    "עברית",
    "%2C already encoded",
    " lead",
]


def plexapi_query(build) -> str:
    """What plexapi 4.x puts on the wire for the same edit, built offline (no server)."""
    movie = Movie(
        server=None,
        data=ElementTree.fromstring('<Video ratingKey="1005" type="movie" librarySectionID="2"/>'),
    )
    movie._autoReload = False  # no current tags: plexapi's "current + new" is just the list
    movie.batchEdits()
    build(movie)
    return plexapi_utils.joinArgs({**movie._edits, "id": movie.ratingKey, "type": 1})[1:]


def test_identical_to_plexapi_for_fields_tags_and_removals() -> None:
    plan = EditPlan(
        1005,
        2,
        fields=(
            FieldChange("title", "New Tïtle & Co"),
            FieldChange("summary", 'Line 1\nLine 2 "quoted" 100%'),
            FieldChange("originallyAvailableAt", "2021-03-04"),
            FieldChange("year", 2021),
            FieldChange("userRating", 8.5),
            FieldChange("studio", "Studio, Inc."),
            FieldChange("contentRating", "R"),
        ),
        tags=(
            TagChange("genre", add=tuple(HOSTILE[:8]), remove=tuple(HOSTILE[8:])),
            TagChange("actor", add=("Jane Doe", 'Q "The" Man')),
            TagChange("collection", remove=("Old Coll", "x,y")),
        ),
    )

    def build(movie: Movie) -> None:
        movie.editTitle("New Tïtle & Co").editSummary('Line 1\nLine 2 "quoted" 100%')
        movie.editOriginallyAvailable("2021-03-04").editField("year", 2021).editUserRating(8.5)
        movie.editStudio("Studio, Inc.").editContentRating("R")
        movie.editTags("genre", list(HOSTILE[:8]))
        movie.editTags("genre", list(HOSTILE[8:]), remove=True)
        movie.editTags("actor", ["Jane Doe", 'Q "The" Man'])
        movie.editTags("collection", ["Old Coll", "x,y"], remove=True)

    assert encode_edit(plan) == [plexapi_query(build)]


def test_clear_matches_plexapi_empty_value() -> None:
    plan = EditPlan(1005, 2, fields=(FieldChange("summary", None), FieldChange("userRating", None)))
    expected = plexapi_query(lambda m: m.editSummary("").editUserRating(None))
    assert encode_edit(plan) == [expected]
    assert "summary.value=&" in expected


def on_wire(query: str) -> str:
    return query.replace("[", "%5B").replace("]", "%5D")


def test_documented_wire_examples() -> None:
    # plex.md §2.f and §2.g (obs), brackets as urllib3 sends them
    title = EditPlan(1005, 1, fields=(FieldChange("title", "New Tïtle & Co"),))
    assert edit_path(1, encode_edit(title)[0]) == (
        "/library/sections/1/all?id=1005&title.locked=1&title.value=New%20T%C3%AFtle%20%26%20Co&type=1"
    )
    removal = EditPlan(
        1005, 1, tags=(TagChange("genre", remove=("Science Fiction", "A,B", "100% Pure")),)
    )
    assert on_wire(encode_edit(removal)[0]) == (
        "genre.locked=1&genre%5B%5D.tag.tag-=Science%2520Fiction%2CA%252CB%2C100%2525%2520Pure&id=1005&type=1"
    )
    coll = EditPlan(1005, 1, tags=(TagChange("collection", add=("My Coll",)),))
    assert (
        on_wire(encode_edit(coll)[0])
        == "collection.locked=1&collection%5B0%5D.tag.tag=My%20Coll&id=1005&type=1"
    )


def decode(
    queries: list[str],
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]], set[str]]:
    """Server-side view: field values, tag adds, tag removals and locks across all queries."""
    values: dict[str, str] = {}
    adds: dict[str, list[tuple[int, str]]] = {}
    removes: dict[str, list[str]] = {}
    locks: set[str] = set()
    for query in queries:
        pairs = parse_qsl(query, keep_blank_values=True)
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys))
        assert ("type", "1") in pairs
        assert any(k == "id" for k in keys)
        for key, value in pairs:
            if key.endswith(".locked"):
                assert value == "1"
                locks.add(key[: -len(".locked")])
            elif key.endswith(".value"):
                values[key[: -len(".value")]] = value
            elif key.endswith("[].tag.tag-"):
                removes.setdefault(key.split("[")[0], []).extend(
                    unquote(v) for v in value.split(",")
                )
            elif key.endswith(".tag.tag"):
                kind, index = key.split("[")[0], int(key.split("[")[1].split("]")[0])
                adds.setdefault(kind, []).append((index, value))
    ordered = {kind: [v for _, v in sorted(items)] for kind, items in adds.items()}
    return values, ordered, removes, locks


def test_round_trip_of_hostile_names_and_values() -> None:
    plan = EditPlan(
        7,
        3,
        fields=(FieldChange("title", HOSTILE[11]), FieldChange("summary", "a & b = c; 100%\n+ #")),
        tags=(TagChange("actor", add=tuple(HOSTILE), remove=("x,y", "50% off", "'q'")),),
    )
    values, adds, removes, locks = decode(encode_edit(plan))
    assert values == {"title": HOSTILE[11], "summary": "a & b = c; 100%\n+ #"}
    assert adds == {"actor": HOSTILE}
    assert removes == {"actor": ["x,y", "50% off", "'q'"]}
    assert locks == {"title", "summary", "actor"}


def test_small_edit_is_one_query() -> None:
    plan = EditPlan(1, 2, fields=(FieldChange("title", "t"),), lock_only=("genre",))
    assert encode_edit(plan) == ["genre.locked=1&id=1&title.locked=1&title.value=t&type=1"]


def test_large_edit_is_split_under_8_kib_with_id_and_type_everywhere() -> None:
    actors = tuple(f"Performer {i:03d} 😀" for i in range(100))
    genres = tuple(f"Genre {i:03d}" for i in range(150))
    plan = EditPlan(
        1005,
        2,
        fields=(FieldChange("title", "T"), FieldChange("studio", "S")),
        tags=(
            TagChange("actor", add=actors),
            TagChange("genre", add=genres, remove=tuple(f"old {i}" for i in range(400))),
        ),
        lock_only=("collection",),
    )
    queries = encode_edit(plan)
    assert len(queries) > 1
    for query in queries:
        assert wire_length(query) <= MAX_EDIT_QUERY_BYTES
        assert query.startswith("") and "id=1005" in query and "type=1" in query
    values, adds, removes, locks = decode(queries)
    assert values == {"title": "T", "studio": "S"}
    assert adds == {"actor": list(actors), "genre": list(genres)}
    assert sorted(removes["genre"]) == sorted(f"old {i}" for i in range(400))
    assert locks == {"title", "studio", "actor", "genre", "collection"}
    # a kind's add list is never split across requests
    for kind in ("actor", "genre"):
        assert sum(f"{kind}[0].tag.tag=" in q for q in queries) == 1
        assert sum(f"{kind}[1].tag.tag=" in q for q in queries) == 1
        carrying = [q for q in queries if f"{kind}[0].tag.tag=" in q]
        assert all(f"{kind}[{i}].tag.tag=" in carrying[0] for i in range(len(adds[kind])))


def test_add_list_larger_than_the_limit_is_never_split() -> None:
    # Under Plex's possible "replace" semantics a second indexed list would replace the first.
    actors = tuple(f"Performer With A Long Name {i:03d}" for i in range(200))
    plan = EditPlan(
        1, 2, fields=(FieldChange("title", "T"),), tags=(TagChange("actor", add=actors),)
    )
    queries = encode_edit(plan)
    assert len(queries) == 2
    big = next(q for q in queries if "actor[0]" in q)
    assert wire_length(big) > MAX_EDIT_QUERY_BYTES
    assert {k.split("[")[0].split(".")[0] for k, _ in parse_qsl(big)} == {"actor", "id", "type"}
    assert decode(queries)[1] == {"actor": list(actors)}


def test_oversized_single_value_travels_alone() -> None:
    summary = "ü" * 10_000  # 60 KB once percent-encoded
    plan = EditPlan(
        1,
        2,
        fields=(FieldChange("summary", summary), FieldChange("title", "T")),
        lock_only=("genre",),
    )
    queries = encode_edit(plan)
    assert len(queries) == 2
    big = next(q for q in queries if "summary.value" in q)
    assert wire_length(big) > MAX_EDIT_QUERY_BYTES
    assert dict(parse_qsl(big)) == {
        "id": "1",
        "type": "1",
        "summary.locked": "1",
        "summary.value": summary,
    }
    small = next(q for q in queries if "summary.value" not in q)
    assert wire_length(small) <= MAX_EDIT_QUERY_BYTES


def test_wire_length_counts_encoded_brackets() -> None:
    assert wire_length("genre[0].tag.tag=a") == len("genre%5B0%5D.tag.tag=a")


@pytest.mark.parametrize("limit", [300, 1000])
def test_custom_limit_respected(limit: int) -> None:
    plan = EditPlan(1, 2, tags=(TagChange("genre", remove=tuple(f"name {i}" for i in range(100))),))
    queries = encode_edit(plan, max_bytes=limit)
    assert all(wire_length(q) <= limit for q in queries)
    assert sorted(decode(queries)[2]["genre"]) == sorted(f"name {i}" for i in range(100))
