"""Diff rules (SPEC §2.5): exact values, clearing only what we pushed, preserve, locks, images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from plex.diff import (
    FieldChange,
    PlexItemState,
    TagChange,
    add_locks,
    diff_item,
    normalize_plex_value,
    plan_images,
)
from plex.edit_encoding import encode_edit
from tests.core.helpers import apply_plan, make_scene
from validation.desired import DesiredItem, DesiredOptions, build_desired
from validation.fingerprint import fingerprint_value

ALL_LOCKS = frozenset(
    {
        "title",
        "summary",
        "originallyAvailableAt",
        "year",
        "userRating",
        "studio",
        "genre",
        "actor",
        "collection",
    }
)


def desired(**overrides: Any) -> DesiredItem:
    item = build_desired(make_scene(**overrides), DesiredOptions())
    assert isinstance(item, DesiredItem)
    return item


def state(
    fields: dict | None = None, tags: dict | None = None, locked=frozenset(), **kw
) -> PlexItemState:
    return PlexItemState(1005, 2, fields or {}, tags or {}, frozenset(locked), **kw)


def in_sync_state(item: DesiredItem) -> PlexItemState:
    """A Plex item already carrying `item`, locked, as Plex would return it (strings)."""
    plan = diff_item(state(), item)
    return apply_plan(state(locked=ALL_LOCKS), plan)


def test_first_push_writes_everything_and_locks_it() -> None:
    item = desired()
    plan = diff_item(state(fields={"title": "file name"}), item)
    assert {c.field: c.value for c in plan.fields} == item.fields
    assert {t.kind: t.add for t in plan.tags} == item.tags
    assert set(plan.locks) == ALL_LOCKS
    assert plan.new_fingerprints == item.fingerprints()


def test_first_push_never_clears() -> None:
    item = desired(details=None, studio=None, performers=[], rating100=None)
    current = state(
        fields={"summary": "agent summary", "studio": "Agent Studio", "userRating": "7"},
        tags={"actor": ["Someone"]},
        locked=ALL_LOCKS,
    )
    plan = diff_item(current, item, previous={})
    touched = {c.field for c in plan.fields} | {t.kind for t in plan.tags}
    assert not touched & {"summary", "studio", "userRating", "actor"}


def test_clears_only_fields_we_pushed_before() -> None:
    before = desired()
    current = in_sync_state(before)
    now = desired(details=None, studio=None, performers=[])
    previous = {"summary": before.fingerprint("summary"), "actor": before.fingerprint("actor")}
    plan = diff_item(current, now, previous)
    assert FieldChange("summary", None) in plan.fields
    assert TagChange("actor", add=(), remove=("Jane Doe", "John Roe")) in plan.tags
    assert "studio" not in {c.field for c in plan.fields}  # never pushed: left alone
    # a cleared field's fingerprint is dropped: we own no value there any more
    assert "summary" not in plan.new_fingerprints
    assert "actor" not in plan.new_fingerprints


def test_clear_of_an_already_empty_field_sends_nothing() -> None:
    item = desired(details=None)
    plan = diff_item(state(locked=ALL_LOCKS), item, {"summary": fingerprint_value("old")})
    assert "summary" not in {c.field for c in plan.fields}
    assert "summary" not in plan.new_fingerprints


def test_year_only_date_clears_a_previously_pushed_full_date() -> None:
    first = desired(date="2020-05-06")
    current = in_sync_state(first)
    later = desired(date="2021")
    plan = diff_item(current, later, first.fingerprints())
    assert FieldChange("originallyAvailableAt", None) in plan.fields
    assert FieldChange("year", 2021) in plan.fields
    # but never on a first push
    fresh = diff_item(state(fields={"originallyAvailableAt": "1999-01-01"}), later, {})
    assert "originallyAvailableAt" not in {c.field for c in fresh.fields}


def test_empty_title_is_never_cleared() -> None:
    before = desired(title="Old")
    plan = diff_item(in_sync_state(before), desired(title=""), before.fingerprints())
    assert "title" not in {c.field for c in plan.fields}
    assert plan.new_fingerprints["title"] == before.fingerprint("title")  # carried over


@pytest.mark.parametrize("preserve", [True, False])
def test_preserve_plex_edits(preserve: bool) -> None:
    pushed = desired(title="Pushed")
    current = in_sync_state(pushed)
    hand_edited = PlexItemState(
        current.rating_key,
        current.section_id,
        {**current.fields, "title": "Hand Edit"},
        current.tags,
        current.locked,
    )
    plan = diff_item(hand_edited, desired(title="New From Stash"), pushed.fingerprints(), preserve)
    if preserve:
        assert plan.preserved == ("title",)
        assert plan.is_empty
        assert plan.new_fingerprints["title"] == pushed.fingerprint("title")
    else:
        assert plan.fields == (FieldChange("title", "New From Stash"),)


def test_preserve_still_writes_a_field_plex_did_not_change() -> None:
    pushed = desired(title="Pushed")
    plan = diff_item(in_sync_state(pushed), desired(title="Newer"), pushed.fingerprints(), True)
    assert plan.fields == (FieldChange("title", "Newer"),)


def test_preserve_refills_a_field_emptied_in_plex() -> None:
    pushed = desired()
    current = in_sync_state(pushed)
    wiped = PlexItemState(
        1005, 2, {**current.fields, "summary": ""}, {**current.tags, "actor": ()}, current.locked
    )
    plan = diff_item(wiped, pushed, pushed.fingerprints(), True)
    assert plan.preserved == ()
    assert plan.fields == (FieldChange("summary", "Some details"),)
    assert plan.tags == (TagChange("actor", add=("Jane Doe", "John Roe")),)


def test_preserve_keeps_hand_edited_tags_and_an_edited_field_from_being_cleared() -> None:
    pushed = desired()
    current = in_sync_state(pushed)
    edited = PlexItemState(
        1005,
        2,
        {**current.fields, "summary": "typed in Plex"},
        {**current.tags, "genre": ("Outdoor", "Private", "Added In Plex")},
        current.locked,
    )
    plan = diff_item(
        edited, desired(details=None, tags=[{"name": "Outdoor"}]), pushed.fingerprints(), True
    )
    assert set(plan.preserved) == {"summary", "genre"}
    assert plan.is_empty


def test_tag_removal_uses_exact_set_recipe() -> None:
    item = desired(tags=[{"name": "A"}, {"name": "B"}])
    plan = diff_item(state(tags={"genre": ["A", "B", "C"]}, locked=ALL_LOCKS), item)
    genre = next(t for t in plan.tags if t.kind == "genre")
    assert genre == TagChange("genre", add=("A", "B"), remove=("C",))


def test_tag_removal_ignores_case_when_other_tags_change() -> None:
    item = desired(tags=[{"name": "outdoor"}, {"name": "New"}])
    plan = diff_item(state(tags={"genre": ["Outdoor", "Old", "OLD"]}, locked=ALL_LOCKS), item)
    genre = next(t for t in plan.tags if t.kind == "genre")
    assert genre == TagChange("genre", add=("outdoor", "New"), remove=("Old",))


def test_case_only_tag_difference_is_no_change() -> None:
    item = desired(tags=[{"name": "outdoor"}, {"name": "PRIVATE"}])
    plan = diff_item(state(tags={"genre": ["Outdoor", "Private"]}, locked=ALL_LOCKS), item)
    assert "genre" not in {t.kind for t in plan.tags}
    assert "genre" not in plan.lock_only


def test_nothing_changed_gives_an_empty_plan_and_no_request() -> None:
    item = desired()
    current = in_sync_state(item)
    plan = diff_item(current, item, item.fingerprints())
    assert plan.is_empty
    assert encode_edit(plan) == []
    assert plan.new_fingerprints == item.fingerprints()


def test_right_value_but_unlocked_gets_a_lock_only_change() -> None:
    item = desired()
    current = in_sync_state(item)
    unlocked = PlexItemState(
        1005, 2, current.fields, current.tags, current.locked - {"title", "genre"}
    )
    plan = diff_item(unlocked, item, item.fingerprints())
    assert plan.fields == () and plan.tags == ()
    assert set(plan.lock_only) == {"title", "genre"}


def test_every_written_field_is_locked_in_the_query() -> None:
    plan = diff_item(state(), desired())
    query = encode_edit(plan)[0]
    for lock in ALL_LOCKS:
        assert f"{lock}.locked=1" in query


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("userRating", "8", 8.0),
        ("userRating", 8.5, 8.5),
        ("userRating", "7.9999", 8.0),
        ("userRating", "", None),
        ("year", "2021", 2021),
        ("year", 2021, 2021),
        ("year", "0", None),
        ("year", "abc", None),
        ("originallyAvailableAt", "2021-03-04", "2021-03-04"),
        ("originallyAvailableAt", "2021-03-04 00:00:00", "2021-03-04"),
        ("originallyAvailableAt", datetime(2021, 3, 4, 5, 6), "2021-03-04"),
        ("originallyAvailableAt", "nonsense", None),
        ("title", "", None),
        ("title", "  ", None),
        ("title", "T", "T"),
        ("genre", ["A", {"tag": "B"}, ""], ("A", "B")),
        ("genre", None, ()),
    ],
)
def test_plex_value_normalisation(name: str, raw: object, expected: object) -> None:
    assert normalize_plex_value(name, raw) == expected


def test_plex_formats_compare_equal_to_desired() -> None:
    item = desired(rating100=80, date="2021-03-04")
    current = state(
        fields={"userRating": "8", "year": "2021", "originallyAvailableAt": "2021-03-04"},
        locked=ALL_LOCKS,
    )
    changed = {c.field for c in diff_item(current, item).fields}
    assert not changed & {"userRating", "year", "originallyAvailableAt"}


def test_unmanaged_fingerprints_are_carried_over() -> None:
    item = build_desired(make_scene(), DesiredOptions(skip_studio=True))
    assert isinstance(item, DesiredItem)
    plan = diff_item(state(fields={"studio": "Whatever"}), item, {"studio": "abc", "poster": "f00"})
    assert plan.new_fingerprints["studio"] == "abc"
    assert plan.new_fingerprints["poster"] == "f00"
    assert "studio" not in {c.field for c in plan.fields}


# --- images ------------------------------------------------------------------------------


def test_images_upload_only_when_fingerprint_changed() -> None:
    item = desired()
    fresh = plan_images(state(), item, {"poster": "aa", "art": "aa"})
    assert [(a.kind, a.upload, a.lock, a.lock_name) for a in fresh] == [
        ("poster", True, True, "thumb"),
        ("art", True, True, "art"),
    ]
    uploaded = state(
        selected_poster="upload://posters/aa",
        selected_art="upload://arts/aa",
        locked=frozenset({"thumb", "art"}),
    )
    assert plan_images(uploaded, item, {"poster": "aa", "art": "aa"}) == ()
    # selection unknown: our stored fingerprint decides
    assert (
        plan_images(
            state(locked={"thumb", "art"}),
            item,
            {"poster": "aa", "art": "aa"},
            {"poster": "aa", "art": "aa"},
        )
        == ()
    )
    changed = plan_images(
        uploaded, item, {"poster": "bb", "art": "aa"}, {"poster": "aa", "art": "aa"}
    )
    assert [(a.kind, a.upload, a.sha1) for a in changed] == [("poster", True, "bb")]


def test_images_lock_only_and_nothing_without_bytes() -> None:
    item = desired()
    current = state(selected_poster="upload://posters/aa")
    assert [(a.kind, a.upload, a.lock) for a in plan_images(current, item, {"poster": "aa"})] == [
        ("poster", False, True)
    ]
    assert plan_images(state(), item, {"poster": None, "art": None}) == ()
    skipped = build_desired(make_scene(), DesiredOptions(skip_poster=True, skip_background=True))
    assert isinstance(skipped, DesiredItem)
    assert plan_images(state(), skipped, {"poster": "aa", "art": "aa"}) == ()


def test_images_preserve_a_poster_chosen_in_plex() -> None:
    item = desired()
    chosen = state(selected_poster="media://something", locked=frozenset({"thumb"}))
    assert (
        plan_images(chosen, item, {"poster": "bb"}, {"poster": "aa"}, preserve_plex_edits=True)
        == ()
    )
    redo = plan_images(chosen, item, {"poster": "bb"}, {"poster": "aa"}, preserve_plex_edits=False)
    assert [(a.kind, a.upload) for a in redo] == [("poster", True)]


def test_add_locks_for_images() -> None:
    plan = diff_item(in_sync_state(desired()), desired(), desired().fingerprints())
    assert plan.is_empty
    locked = add_locks(plan, ["thumb", "art"])
    assert locked.lock_only == ("thumb", "art")
    assert "thumb.locked=1" in encode_edit(locked)[0]
    assert add_locks(locked, ["thumb"]) is locked
