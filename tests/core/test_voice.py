"""The one formatter of user-facing lines (`runtime.voice`) and the run summary's lines built
with it (`worker.summary`): pure functions, text in and text out."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from base.status import SceneStatus
from runtime import voice
from worker.outcomes import Action, Outcome
from worker.summary import RunSummary, fate_lines

_ITEM_KEY = re.compile(r"\b\d+/\d+\b")
_CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b")


def test_line_folds_and_cuts() -> None:
    assert voice.line("a\n  b\r\nc") == "a b c"
    long = voice.line("x" * 1000)
    assert len(long) == voice.INFO_LIMIT and long.endswith("…")


@given(st.text())
def test_a_line_is_one_line_within_the_limit(text: str) -> None:
    out = voice.line(text)
    assert len(out) <= voice.INFO_LIMIT and "\n" not in out and "\r" not in out


def test_lead_never_says_the_phrase_twice() -> None:
    told = "Plex token rejected (401 on GET /library/sections); check plex_token"
    assert voice.lead("Plex token rejected", told) == told
    assert voice.lead("Plex token rejected", told, head="Plex token rejected again") == (
        "Plex token rejected again (401 on GET /library/sections); check plex_token"
    )
    assert voice.lead("Plex unreachable", "Plex unreachable: timed out") == (
        "Plex unreachable: timed out"
    )
    assert voice.lead("Plex unreachable", "cannot reach Plex") == (
        "Plex unreachable (cannot reach Plex)"
    )
    assert voice.lead("Plex unreachable", "") == "Plex unreachable"


def test_scenes_are_named_by_id_and_a_short_title() -> None:
    assert voice.scene_ref(41, "Beach day") == '41 "Beach day"'
    assert voice.scene_ref(57, "") == voice.scene_ref(57, None) == "57"
    long = voice.scene_ref(9, "t " * 100)
    assert long.startswith('9 "t t') and long.endswith('…"')
    assert len(long) <= voice.TITLE_LIMIT + 5
    assert voice.plural(1, "scene") == "1 scene" and voice.plural(1200, "scene") == "1,200 scenes"


def test_a_group_line_counts_by_reason_with_examples_of_each() -> None:
    line = voice.group_line(
        12,
        "not pushed",
        [("not organized", 9, ['41 "Title"', "57", "63"]), ("no meaningful metadata", 3, ["8"])],
    )
    assert line == (
        '12 scenes not pushed: not organized (9, e.g. 41 "Title", 57, 63); '
        "no meaningful metadata (3, e.g. 8)"
    )
    one = voice.group_line(1, "failed", [("ambiguous match", 1, ["5"])])
    assert one == "1 scene failed: ambiguous match (1, e.g. 5)"


def test_a_group_line_keeps_every_reason_within_the_limit() -> None:
    reasons = [
        (f"reason number {n}", 100 - n, [f'{n}{k} "{"T" * 38}"' for k in range(5)])
        for n in range(6)
    ]
    line = voice.group_line(600, "failed", reasons)
    assert len(line) <= voice.INFO_LIMIT
    for phrase, count, _ in reasons:
        assert f"{phrase} ({count}" in line  # reasons and counts are never dropped


def test_wrap_splits_a_list_without_cutting_items() -> None:
    items = [f"setting_{n}='{'v' * 30}'" for n in range(20)]
    lines = voice.wrap("Settings: ", items)
    assert len(lines) > 1 and all(len(x) <= voice.INFO_LIMIT for x in lines)
    assert all(x.startswith("Settings: ") for x in lines)
    assert ", ".join(x.removeprefix("Settings: ") for x in lines) == ", ".join(items)


def test_fix_lines_are_sentences() -> None:
    assert voice.fix_line("not organized", "mark them Organized") == (
        "Not organized: mark them Organized."
    )


def _summary(*actions: tuple[int, str, SceneStatus, str]) -> RunSummary:
    summary = RunSummary(task="Sync All Scenes")
    for sid, name, status, title in actions:
        summary.count(Action(sid, name, Outcome(status, "item 1/2112 refused")), title)
    return summary


def test_the_run_summary_counts_every_scene_not_synced_once_by_reason() -> None:
    s = SceneStatus
    summary = _summary(
        (1, "done", s.SYNCED, "One"),
        (2, "done", s.NOT_ORGANIZED, "Two"),
        (3, "rerun", s.NO_METADATA, ""),
        (4, "waiting", s.NOT_SCANNED, "Four"),
        (5, "failed", s.PLEX_ERROR, "Five"),  # retried until it gave up
        (6, "failed", s.OUTSIDE_LIBRARIES, "Six"),
        (7, "retried", s.ITEM_GONE, "Seven"),
        (8, "released", s.PLEX_UNREACHABLE, "Eight"),
    )
    assert (summary.synced, summary.not_pushed, summary.waiting, summary.failed) == (1, 2, 1, 2)
    assert (summary.retried, summary.released, summary.reruns) == (1, 1, 1)
    assert summary.processed == 7
    lines = summary.lines()
    text = "\n".join(line for _, line in lines)
    assert lines[0][1].startswith("Sync All Scenes: 1 synced, 0 unchanged, 2 not pushed, ")
    assert '2 scenes not pushed: not organized (1, e.g. 2 "Two"); no meaningful metadata' in text
    failed = [line for level, line in lines if level == "warning"]
    assert failed == [
        '2 scenes failed: Plex answered with an error, gave up after retries (1, e.g. 5 "Five"); '
        'outside every Plex library (1, e.g. 6 "Six")'
    ]
    # each reason's fix once; no detail, item key or class name at info
    fixes = [line for _, line in lines if line.startswith("Outside every Plex library: ")]
    assert len(fixes) == 1
    assert not _ITEM_KEY.search(text) and not _CAMEL.search(text.replace("Stash2Plex", ""))
    # every scene not synced is named once, in its reason's group
    names = re.findall(r"(?:e\.g\. |, )(\d+) \"", text)
    assert sorted(int(n) for n in names) == [2, 4, 5, 6, 7] and "e.g. 3)" in text
    assert all(len(line) <= voice.INFO_LIMIT for _, line in lines)


def test_a_small_run_names_its_synced_scenes_too() -> None:
    s = SceneStatus
    summary = _summary(
        (1, "done", s.SYNCED, "One"), (9, "done", s.UNCHANGED, ""), (2, "done", s.NO_FILES, "Two")
    )
    text = [line for _, line in summary.lines()]
    assert 'Synced: 1 "One"; unchanged: 9' in text
    assert '1 scene not pushed: no files (1, e.g. 2 "Two")' in text


def test_a_large_run_does_not_name_its_synced_scenes() -> None:
    summary = _summary(*[(n, "done", SceneStatus.SYNCED, f"T{n}") for n in range(1, 30)])
    assert not any(line.startswith("Synced: ") for _, line in summary.lines())


def test_the_summary_output_is_json_data_and_reads_back() -> None:
    import json

    summary = _summary((2, "done", SceneStatus.NOT_ORGANIZED, "Two"))
    output = json.loads(json.dumps(summary.as_output()))
    assert output["not_synced"] == [
        {
            "fate": "not pushed",
            "reason": "not_organized",
            "count": 1,
            "examples": [{"id": 2, "title": "Two"}],
        }
    ]
    assert fate_lines(output["not_synced"]) == [
        ("info", '1 scene not pushed: not organized (1, e.g. 2 "Two")'),
        ("info", voice.fix_line("not organized", SceneStatus.NOT_ORGANIZED.fix)),
    ]


def test_fate_lines_read_what_an_earlier_version_stored_and_skip_nonsense() -> None:
    groups = [
        {"fate": "failed", "reason": "OutsidePlexLibraries", "count": 2, "examples": [{"id": 4}]},
        {"fate": "failed", "reason": "", "count": 1},
        {"fate": "waiting", "reason": "not_scanned", "count": "many"},
        {"fate": "waiting", "reason": "NotScannedYet", "count": 3, "examples": "x"},
    ]
    lines = [line for _, line in fate_lines(groups)]
    assert lines[0] == "3 scenes waiting: not scanned by Plex yet (3)"
    assert lines[2] == "2 scenes failed: outside every Plex library (2, e.g. 4)"
