"""Choosing the configured sections (closest title suggested) and the verdict line."""

from __future__ import annotations

from doctor.plex_checks import select_configured
from doctor.report import render, verdict
from doctor.result import FAIL, OK, WARN, CheckResult
from plex.items import SectionInfo

SECTIONS = [
    SectionInfo(1, "Movies", "movie", ("/media/movies",)),
    SectionInfo(2, "Other Videos", "movie", ("/media/clips",)),
    SectionInfo(3, "TV Shows", "show", ("/media/tv",)),
]
PLACE = "Settings → Plugins → Stash2Plex → Plex libraries"


def test_empty_setting_means_every_movie_section() -> None:
    chosen, result = select_configured(SECTIONS, "")
    assert [s.id for s in chosen] == [1, 2] and result.status == OK


def test_titles_match_trimmed_and_case_insensitively() -> None:
    chosen, result = select_configured(SECTIONS, " other videos ,MOVIES")
    assert [s.id for s in chosen] == [2, 1] and result.status == OK


def test_unknown_titles_get_the_closest_movie_title() -> None:
    chosen, result = select_configured(SECTIONS, "Movie, Other Vidoes, Movies")
    assert [s.id for s in chosen] == [1]
    assert result.status == FAIL
    assert "'Movie' not found; did you mean 'Movies'?" in result.line
    assert "'Other Vidoes' not found; did you mean 'Other Videos'?" in result.line
    assert result.fix == f"set {PLACE} to 'Movies, Other Videos'"


def test_a_show_library_is_refused() -> None:
    chosen, result = select_configured(SECTIONS, "TV Shows")
    assert chosen == [] and result.status == FAIL
    assert "'TV Shows' is a show library" in result.line
    assert result.fix == f"set {PLACE} to one of: 'Movies', 'Other Videos'"


def test_no_movie_section_at_all() -> None:
    chosen, result = select_configured(SECTIONS[2:], "")
    assert chosen == [] and result.status == FAIL and "no movie-type library" in result.line


def test_verdict_names_the_first_failure() -> None:
    results = [
        CheckResult("a", OK, "fine"),
        CheckResult("b", WARN, "meh", "tune it"),
        CheckResult("c", FAIL, "broken", "fix c"),
        CheckResult("d", FAIL, "also broken", "fix d"),
    ]
    assert verdict(results) == (False, "Verdict: not ready. First fix: fix c")
    assert verdict(results[:2]) == (True, "Verdict: ready (1 warning(s) above)")
    lines = render(results)
    assert lines[0] == ("info", "[OK  ] fine")
    assert lines[1] == ("warning", "[WARN] meh → Fix: tune it")
    assert lines[2] == ("error", "[FAIL] broken → Fix: fix c")
