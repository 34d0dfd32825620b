"""`has_meaningful_metadata` (SPEC §3): five fields count, a rating alone does not."""

from __future__ import annotations

import pytest

from validation.meaningful import has_meaningful_metadata


@pytest.mark.parametrize(
    "data",
    [
        {"studio": "Studio X"},
        {"studio": {"id": "1", "name": "Studio X"}},
        {"performers": ["Jane Doe"]},
        {"performers": [{"id": "1", "name": "Jane Doe"}]},
        {"tags": ["Outdoor"]},
        {"tags": [{"id": "3", "name": "Outdoor"}]},
        {"tags": [{"tag": "Outdoor"}]},  # Plex MediaTag-like dicts
        {"details": "Something happens."},
        {"date": "2021"},
        {"date": "2021-03-04", "rating100": None},
    ],
)
def test_each_of_the_five_fields_alone_is_meaningful(data: dict) -> None:
    assert has_meaningful_metadata(data) is True


@pytest.mark.parametrize(
    "data",
    [
        {},
        None,
        {"rating100": 100},
        {"rating": 10, "title": "Only a title", "organized": True},
        {"studio": "", "performers": [], "tags": [], "details": "", "date": ""},
        {"studio": None, "performers": None, "tags": None, "details": None, "date": None},
        {"studio": {"id": None, "name": ""}},
        {"studio": {}},
        {"performers": [{"name": ""}, {"name": "   "}], "tags": ["", None]},
        {"details": "   \n\t "},
        {"details": "\x00\x01"},
    ],
)
def test_empty_values_and_rating_alone_are_not_meaningful(data: dict | None) -> None:
    assert has_meaningful_metadata(data) is False


def test_entity_with_only_an_id_counts() -> None:
    # The detector may receive ids only; an id is a value.
    assert has_meaningful_metadata({"performers": [{"id": "7"}]}) is True
