"""Choosing the configured sections (closest title suggested) and the verdict line."""

from __future__ import annotations

from doctor.plex_checks import select_configured
from doctor.report import plain, render, verdict
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


def test_class_names_are_put_into_words() -> None:
    assert plain("cannot reach Plex (ConnectionError on GET /identity)") == (
        "cannot reach Plex (connection failed on GET /identity)"
    )
    assert plain("Health Check stopped early: KeyError: 'x'") == (
        "Health Check stopped early: error: 'x'"
    )
    assert plain("scene 76: NotScannedYet") == "scene 76: not scanned yet"
    # A name inside a path, a file name or a quoted server name is the user's, not a class.
    kept = "'/data/TimeoutError/ValueError.mp4' on 'PlexServerDown' at E:\\KeyError\\a.mp4"
    assert plain(kept) == kept


def test_a_long_fix_is_kept_whole_and_the_description_gives_way() -> None:
    value = "/data/" + "x" * 120 + "=>/media/" + "y" * 120
    result = CheckResult("path_map", FAIL, "Path map suggestion: " + value, f"paste {value}")
    ((level, text),) = render([result])
    assert level == "error" and text.endswith(f" → Fix: paste {value}")
    assert text.startswith("[FAIL] Path map suggestion: /data/xxx") and "…" in text
    ((_, short),) = render([CheckResult("a", OK, "word " * 100)])
    assert len(short) == 300 and short.startswith("[OK  ] word word")
