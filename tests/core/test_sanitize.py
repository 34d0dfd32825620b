"""Sanitising and limits: control characters out, everything else kept, safe truncation."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validation import limits
from validation.sanitize import clean_name, clean_names, clean_summary, clean_text, truncate

KEPT_EXACTLY = [
    "Emoji 😀🎬 and family 👨‍👩‍👧",
    "עברית ומילים",  # right-to-left
    "\u202eRLO override\u202c and \u200fRLM",
    "Quotes \"double\" and 'single' and „low“",
    "Commas, semicolons; ampersand & percent 100% plus+hash#",
    "<xml> & entities &amp;",
    "Zero\u200bwidth and ZWJ\u200d",
]


@pytest.mark.parametrize("text", KEPT_EXACTLY)
def test_everything_but_controls_is_kept_exactly(text: str) -> None:
    assert clean_name(text) == text
    assert clean_summary(text) == text


@pytest.mark.parametrize(
    ("raw", "name", "summary"),
    [
        ("a\x00b", "ab", "ab"),
        ("bell\x07 esc\x1b[0m", "bell esc[0m", "bell esc[0m"),
        ("c1\x85\x9f del\x7f", "c1 del", "c1 del"),
        ("line1\nline2", "line1 line2", "line1\nline2"),
        ("win\r\nmac\rend", "win mac end", "win\nmac\nend"),
        ("tab\there", "tab here", "tab\there"),
        ("lone \ud800 surrogate", "lone  surrogate", "lone  surrogate"),
        ("xml-illegal \ufffe\uffff", "xml-illegal", "xml-illegal"),
        ("  padded  \n", "padded", "padded"),
        ("\x00\x01\x02", "", ""),
    ],
)
def test_control_characters_removed(raw: str, name: str, summary: str) -> None:
    assert clean_name(raw) == name
    assert clean_summary(raw) == summary
    clean_summary(raw).encode("utf-8")  # never invalid UTF-8


def test_none_and_non_strings() -> None:
    assert clean_text(None, multiline=False) == ""
    assert clean_name(123) == "123"


def test_limits_are_the_documented_values() -> None:
    assert limits.MAX_SUMMARY_CHARS == 10_000
    assert limits.MAX_NAME_CHARS == 255
    assert limits.MAX_ACTORS == 200
    assert limits.MAX_GENRES == 200
    assert limits.MAX_EDIT_QUERY_BYTES == 8192


def test_megabyte_summary_cut_to_limit() -> None:
    details = ("paragraph with words \n" * 50_000)[:1_000_000]
    out = clean_summary(details)
    assert len(out) <= limits.MAX_SUMMARY_CHARS
    assert len(out) >= limits.MAX_SUMMARY_CHARS - 30  # cut, not emptied
    assert details.startswith(out)


def test_long_name_cut_to_255() -> None:
    assert clean_name("x" * 1000) == "x" * 255


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abcdef", 3, "abc"),
        ("ab👨\u200d👩\u200d👧", 4, "ab"),  # inside a ZWJ family: whole cluster dropped
        ("abe\u0301x", 3, "ab"),  # e + combining acute not split
        ("ab👍🏽x", 3, "ab"),  # emoji + skin tone
        ("a\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 2, "a"),  # flag pair FR
        ("a\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 4, "a\U0001f1eb\U0001f1f7"),
        ("a❤\ufe0fb", 2, "a"),  # variation selector
        ("short", 10, "short"),
        ("abc", 0, ""),
    ],
)
def test_truncate_keeps_clusters_whole(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected


def test_truncate_pathological_combining_run_still_cut() -> None:
    text = "a" + "\u0301" * 500
    out = truncate(text, 100)
    assert len(out) == 100
    out.encode("utf-8")


def test_clean_names_dedupes_case_insensitively_and_excludes() -> None:
    names = ["Outdoor", "outdoor", " Private ", "", None, "Skip Me", "B\x00ad"]
    assert clean_names(names, max_count=10, exclude=frozenset({"skip me"})) == (
        "Outdoor",
        "Private",
        "Bad",
    )


def test_clean_names_caps_count() -> None:
    assert len(clean_names([f"tag {i}" for i in range(2000)], max_count=200)) == 200


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=50))
def test_truncate_properties(text: str, limit: int) -> None:
    cleaned = clean_text(text, multiline=True)
    out = truncate(cleaned, limit)
    assert len(out) <= limit
    assert cleaned.startswith(out)
    out.encode("utf-8")
    if out:
        assert unicodedata.category(out[0]) != "Cc" or out[0] in "\n\t"
