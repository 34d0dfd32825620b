"""Desired state from a Stash scene: every row of SPEC §2.5's table and the rules below it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from base.status import SceneStatus
from tests.core.helpers import SCREENSHOT, make_scene
from validation.desired import (
    FIELD_TABLE,
    DesiredItem,
    DesiredOptions,
    Skip,
    build_desired,
    parse_stash_date,
    rating_from_rating100,
)

ALL = DesiredOptions()


def desired(options: DesiredOptions = ALL, **overrides: Any) -> DesiredItem:
    item = build_desired(make_scene(**overrides), options)
    assert isinstance(item, DesiredItem), item
    return item


def test_full_scene_maps_every_row() -> None:
    item = desired()
    assert item.scene_id == 42
    assert item.fields == {
        "title": "A Title",
        "summary": "Some details",
        "originallyAvailableAt": "2021-03-04",
        "year": 2021,
        "userRating": 8.0,
        "studio": "Studio X",
    }
    assert item.tags == {
        "actor": ("Jane Doe", "John Roe"),
        "genre": ("Outdoor", "Private"),
        "collection": ("Studio X", "Parent Y", "Group Z"),
    }
    assert item.poster_url == SCREENSHOT
    assert item.art_url == SCREENSHOT
    assert item.updated_at == "2025-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        # title: skipped when empty, never the file name
        ({"title": "Hello"}, "title", "Hello"),
        ({"title": ""}, "title", "<absent>"),
        ({"title": None}, "title", "<absent>"),
        ({"title": "  \t "}, "title", "<absent>"),
        # details -> summary, line breaks kept
        ({"details": "one\ntwo\r\nthree"}, "summary", "one\ntwo\nthree"),
        ({"details": ""}, "summary", None),
        ({"details": None}, "summary", None),
        # date -> originallyAvailableAt + year
        ({"date": "2019-12-31"}, "originallyAvailableAt", "2019-12-31"),
        ({"date": "2019-12-31"}, "year", 2019),
        ({"date": "2019-07"}, "originallyAvailableAt", "2019-07-01"),
        ({"date": "2019-07"}, "year", 2019),
        ({"date": "2019"}, "originallyAvailableAt", None),
        ({"date": "2019"}, "year", 2019),
        ({"date": None}, "year", None),
        ({"date": "2019-02-30"}, "originallyAvailableAt", None),
        ({"date": "garbage"}, "year", None),
        # rating100 -> userRating = rating100 / 10
        ({"rating100": 80}, "userRating", 8.0),
        ({"rating100": 85}, "userRating", 8.5),
        ({"rating100": 1}, "userRating", 0.1),
        ({"rating100": 100}, "userRating", 10.0),
        ({"rating100": None}, "userRating", None),
        # studio.name -> studio
        ({"studio": {"id": "9", "name": "Other"}}, "studio", "Other"),
        ({"studio": None}, "studio", None),
    ],
)
def test_scalar_rows(overrides: dict[str, Any], field: str, expected: object) -> None:
    fields = desired(**overrides).fields
    if expected == "<absent>":
        assert field not in fields
    else:
        assert fields[field] == expected
        assert type(fields[field]) is type(expected)


@pytest.mark.parametrize(
    ("overrides", "kind", "expected"),
    [
        # performers: Stash order
        ({"performers": [{"name": "Zed"}, {"name": "Amy"}]}, "actor", ("Zed", "Amy")),
        ({"performers": []}, "actor", ()),
        # tags -> genres
        ({"tags": [{"name": "B"}, {"name": "A"}]}, "genre", ("B", "A")),
        ({"tags": []}, "genre", ()),
        # collections: studio, parent studio, groups, de-duplicated case-insensitively (first kept)
        (
            {
                "studio": {"name": "Studio X", "parent_studio": None},
                "groups": [{"group": {"name": "studio x"}}, {"group": {"name": "G2"}}],
            },
            "collection",
            ("Studio X", "G2"),
        ),
        ({"studio": None, "groups": []}, "collection", ()),
        (
            {"groups": None, "movies": [{"movie": {"name": "Old Movie"}}]},
            "collection",
            ("Studio X", "Parent Y", "Old Movie"),
        ),
    ],
)
def test_tag_rows(overrides: dict[str, Any], kind: str, expected: tuple[str, ...]) -> None:
    assert desired(**overrides).tags[kind] == expected


def test_exclude_tags_case_insensitive() -> None:
    options = DesiredOptions.from_config(SimpleNamespace(exclude_tags="private, OUTDOOR ,"))
    assert options.exclude_tags == frozenset({"private", "outdoor"})
    item = desired(options, tags=[{"name": "Outdoor"}, {"name": "PRIVATE"}, {"name": "Kept"}])
    assert item.tags["genre"] == ("Kept",)


@pytest.mark.parametrize(
    ("flag", "gone"),
    [
        ("skip_title", {"title"}),
        ("skip_summary", {"summary"}),
        ("skip_date", {"originallyAvailableAt", "year"}),
        ("skip_rating", {"userRating"}),
        ("skip_studio", {"studio"}),
        ("skip_performers", {"actor"}),
        ("skip_tags", {"genre"}),
        ("skip_collections", {"collection"}),
        ("skip_poster", {"poster"}),
        ("skip_background", {"art"}),
    ],
)
def test_each_skip_toggle_removes_exactly_its_fields(flag: str, gone: set[str]) -> None:
    base = desired()
    item = desired(DesiredOptions.from_config(SimpleNamespace(**{flag: True})))

    def present(i: DesiredItem) -> set[str]:
        images = {name for name, url in (("poster", i.poster_url), ("art", i.art_url)) if url}
        return set(i.managed()) | images

    assert present(base) - present(item) == gone


def test_content_rating_only_when_set() -> None:
    assert "contentRating" not in desired().fields
    assert "contentRating" not in desired(DesiredOptions(content_rating="")).fields
    item = desired(DesiredOptions.from_config({"content_rating": " R "}))
    assert item.fields["contentRating"] == "R"


def test_require_organized() -> None:
    options = DesiredOptions(require_organized=True)
    skipped = build_desired(make_scene(organized=False), options)
    assert isinstance(skipped, Skip)
    assert skipped.scene_id == 42
    assert skipped.status is SceneStatus.NOT_ORGANIZED and "organized" in skipped.reason
    assert isinstance(build_desired(make_scene(organized=True), options), DesiredItem)
    assert isinstance(build_desired(make_scene(organized=False), ALL), DesiredItem)


def test_scene_without_meaningful_metadata_is_not_pushed() -> None:
    scene = make_scene(studio=None, performers=[], tags=[], details="", date=None, groups=[])
    result = build_desired(scene, ALL)
    assert isinstance(result, Skip)
    assert result.status is SceneStatus.NO_METADATA and "meaningful" in result.reason
    assert isinstance(build_desired({**scene, "rating100": 90}, ALL), Skip)  # rating alone
    assert isinstance(build_desired({**scene, "date": "2020"}, ALL), DesiredItem)


def test_unusable_id_is_a_skip() -> None:
    result = build_desired(make_scene(id="abc"), ALL)
    assert isinstance(result, Skip)
    assert result.scene_id is None and result.status is SceneStatus.BAD_ID


def test_no_screenshot_means_no_image() -> None:
    item = desired(paths={"screenshot": None})
    assert item.poster_url is None
    assert item.art_url is None


# --- limits and hostile metadata -------------------------------------------------------------


def test_megabyte_details_truncated_to_10000() -> None:
    item = desired(details="x" * 1_000_000)
    assert item.fields["summary"] == "x" * 10_000


def test_thousands_of_tags_and_performers_capped_at_200() -> None:
    item = desired(
        tags=[{"name": f"tag {i}"} for i in range(2000)],
        performers=[{"name": f"performer {i}"} for i in range(500)],
    )
    assert item.tags["genre"] == tuple(f"tag {i}" for i in range(200))
    assert item.tags["actor"] == tuple(f"performer {i}" for i in range(200))


def test_control_characters_and_nul_removed_everywhere() -> None:
    item = desired(
        title="Ti\x00tle\x07",
        details="Line 1\nLine\x00 2\x1b",
        studio={"name": "Stu\x00dio"},
        performers=[{"name": "Ja\x01ne"}],
        tags=[{"name": "T\x7fag"}],
    )
    assert item.fields["title"] == "Title"
    assert item.fields["summary"] == "Line 1\nLine 2"
    assert item.fields["studio"] == "Studio"
    assert item.tags["actor"] == ("Jane",)
    assert item.tags["genre"] == ("Tag",)


HOSTILE = [
    'Tag, with "quotes"',
    "100% & more",
    "😀 emoji",
    "עברית",
    "a=b&c=d",
    "semi;colon",
    "back\\slash",
]


def test_emoji_rtl_commas_quotes_kept_exactly() -> None:
    item = desired(
        title=HOSTILE[0],
        studio={"name": HOSTILE[3]},
        performers=[{"name": name} for name in HOSTILE],
        tags=[{"name": name} for name in HOSTILE],
    )
    assert item.fields["title"] == HOSTILE[0]
    assert item.fields["studio"] == HOSTILE[3]
    assert item.tags["actor"] == tuple(HOSTILE)
    assert item.tags["genre"] == tuple(HOSTILE)


def test_names_longer_than_255_are_cut() -> None:
    item = desired(title="t" * 300, studio={"name": "s" * 300}, tags=[{"name": "g" * 300}])
    assert item.fields["title"] == "t" * 255
    assert item.fields["studio"] == "s" * 255
    assert item.tags["genre"] == ("g" * 255,)


# --- options and fingerprints ----------------------------------------------------------------


def test_from_config_defaults_with_any_object() -> None:
    assert DesiredOptions.from_config(object()) == DesiredOptions()
    options = DesiredOptions.from_config(
        SimpleNamespace(
            skip_title=True, require_organized="true", exclude_tags=["A", "b "], content_rating=None
        )
    )
    assert options.skip_title is True
    assert options.require_organized is True
    assert options.exclude_tags == frozenset({"a", "b"})
    assert options.content_rating == ""


def test_field_table_names_every_plex_field_once() -> None:
    names = [rule.plex for rule in FIELD_TABLE]
    assert len(names) == len(set(names))
    assert set(names) == {
        "title",
        "summary",
        "originallyAvailableAt",
        "year",
        "userRating",
        "studio",
        "contentRating",
        "actor",
        "genre",
        "collection",
        "poster",
        "art",
    }
    assert {rule.skip for rule in FIELD_TABLE if rule.skip} == {
        f"skip_{name}"
        for name in (
            *("title", "summary", "date", "rating", "studio"),
            *("performers", "tags", "collections", "poster", "background"),
        )
    }


def test_fingerprints_are_stable_and_sensitive() -> None:
    a = desired()
    b = desired()
    assert a.fingerprints() == b.fingerprints()
    assert a.fingerprint_all() == b.fingerprint_all()
    assert len(a.fingerprint("title")) == 40
    changed = desired(title="Other")
    assert changed.fingerprint("title") != a.fingerprint("title")
    assert changed.fingerprint("summary") == a.fingerprint("summary")
    assert changed.fingerprint_all() != a.fingerprint_all()
    # tag fingerprints ignore order and case (Plex keeps its own order, matches case-insensitively)
    reordered = desired(tags=[{"name": "private"}, {"name": "OUTDOOR"}])
    assert reordered.fingerprint("genre") == a.fingerprint("genre")
    # a skipped field changes the overall digest
    assert desired(DesiredOptions(skip_rating=True)).fingerprint_all() != a.fingerprint_all()
    # images are not part of the digest (the URL's cache buster changes on every save)
    assert desired(paths={"screenshot": SCREENSHOT + "0"}).fingerprint_all() == a.fingerprint_all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-04", ("2021-03-04", 2021)),
        ("2021-3", ("2021-03-01", 2021)),
        ("0000", (None, None)),
        (20210304, (None, None)),
    ],
)
def test_parse_stash_date_edges(value: object, expected: tuple) -> None:
    assert parse_stash_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, None), (-5, None), (250, 10.0), ("55", 5.5), (True, None), ("x", None)],
)
def test_rating_edges(value: object, expected: float | None) -> None:
    assert rating_from_rating100(value) == expected


def test_from_config_reads_the_real_config_model() -> None:
    from validation.config import Stash2PlexConfig

    config = Stash2PlexConfig(
        plex_url="http://127.0.0.1:32400",
        plex_token="token",
        skip_title=True,
        skip_background=True,
        require_organized=True,
        exclude_tags="Foo, BAR",
        content_rating="R",
    )
    assert DesiredOptions.from_config(config) == DesiredOptions(
        skip_title=True,
        skip_background=True,
        require_organized=True,
        exclude_tags=frozenset({"foo", "bar"}),
        content_rating="R",
    )
