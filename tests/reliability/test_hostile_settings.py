"""Hostile settings in Stash: every task falls back per key or stops with one line naming it.

Generated settings maps (wrong types, empty and huge strings, negative, NaN and infinite
numbers, bad path_map syntax, bad URLs, unknown keys, unicode, the token pasted into the URL)
are stored in the Stash emulator and read by the real settings reader; View Status, Health
Check, Reconcile and Process Queue then run in-process against both emulators. Each run keeps
SPEC §7's contract, every bad key it ignores is named in a warning, the token is never echoed
(the leak guard), and the data folder stays sound with no job lost or wrongly failed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base.about import PLUGIN_ID
from sandbox.inprocess import run_in_process
from sync_queue.sync_state import SyncStateStore
from tests.reliability import scale
from tests.reliability.hostile_support import (
    contract_problems,
    fresh_copy,
    seed_work,
    work_of,
)
from tests.reliability.integrity import (
    data_dir_problems,
    writable_items,
    wrong_writes,
    wrongly_failed,
)
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.settings_table import SETTINGS

TASKS = ["status", "health_check", "reconcile_recent", "process_queue"]
BOOLEANS = [s.key for s in SETTINGS if s.type == "BOOLEAN"]
NUMBERS = [s.key for s in SETTINGS if s.type == "NUMBER"]
CHOICES = {s.key: s.choices for s in SETTINGS if s.choices}
# plex_url and plex_token get their own hostile values (`overrides`): the token must stay one
# the leak guard knows.
TEXTS = [s.key for s in SETTINGS if s.type == "STRING" and not s.choices and not s.required]

hostile_text = st.one_of(
    st.sampled_from(["", " ", "\x00", "é" * 5000, "x" * 100_000, "\u202e🎬,\"'", "a,b,,c"]),
    st.text(max_size=40),
)
wrong_type = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.none()))
bad_number = st.one_of(
    st.integers(max_value=-1),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**400, "12abc", "∞", 1e308]),
    st.text(alphabet="abcxyz-!", min_size=1, max_size=8),
    wrong_type,
)
bad_boolean = st.one_of(
    st.sampled_from(["maybe", "2", 2, -1, 0.5, "yes please"]), st.text(min_size=2), wrong_type
)
PATH_MAPS = ["=>", "a=>b", "/a=>/b=>/c", "/a=>/b;/a=>/c", "\x00/=>/", "/x" * 5000 + "=>/y"]
PATH_MAPS += ["/data=>/media;;;", "D:\\=>/mnt/d", "=>/only", "/a=>", "/é=>/e\u0301"]
URLS = ["http://[::1", "http://h:99999", "javascript:alert(1)", "http://" + "x" * 100_000]
URLS += ["ftp://plex", "http://", "http://127.0.0.1:0", "http://a..b", "ünï:code"]


@st.composite
def overrides(draw: st.DrawFn, token: str, url: str) -> dict[str, object]:
    """A few keys of the settings map with hostile values (the rest stays as saved)."""
    values: dict[str, object] = {}
    for key in draw(st.lists(st.sampled_from(BOOLEANS), max_size=2)):
        values[key] = draw(bad_boolean)
    for key in draw(st.lists(st.sampled_from(NUMBERS), max_size=2)):
        values[key] = draw(bad_number)
    for key, choices in draw(st.lists(st.sampled_from(sorted(CHOICES.items())), max_size=1)):
        values[key] = draw(st.one_of(hostile_text, wrong_type, st.just(choices[-1].upper())))
    for key in draw(st.lists(st.sampled_from(TEXTS), max_size=2)):
        values[key] = draw(st.one_of(hostile_text, wrong_type, st.sampled_from(PATH_MAPS)))
    extra = draw(st.sampled_from(["none", "url", "token", "unknown", "legacy"]))
    if extra == "url":  # a bad address, or the token pasted into it from a browser
        values["plex_url"] = draw(
            st.sampled_from([*URLS, f"{url}/web/index.html#!?X-Plex-Token={token}"])
            | st.sampled_from([f"http://plex:{token}@x", f"http://plex:abc/?X-Plex-Token={token}"])
        )
    elif extra == "token":
        values["plex_token"] = draw(
            st.sampled_from([f" {token} ", f"{token}\x00", [token], {"t": token}, "", token * 50])
        )
    elif extra == "unknown":
        values[draw(st.text(alphabet="abcdefé_ ", min_size=1, max_size=12))] = draw(hostile_text)
    elif extra == "legacy":
        values[draw(st.sampled_from(["enabled", "sync_title", "sync_tags"]))] = draw(bad_boolean)
    return values


def _must_warn(key: str, value: object) -> bool:
    """An independent oracle: values no reading of SPEC §5 accepts for `key`."""
    if isinstance(value, (list, dict)):
        return True
    if key in NUMBERS:
        if isinstance(value, bool) or (isinstance(value, (int, float)) and value <= -1):
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return True
        return isinstance(value, str) and any(c.isalpha() for c in value) and value != "inf"
    if key in BOOLEANS:
        return value in ("maybe", "2", 2, -1, 0.5, "yes please")
    if key in CHOICES:
        return (
            isinstance(value, str)
            and value.strip() != ""
            and value.strip().lower() not in (CHOICES[key])
        )
    if key == "path_map":
        return value in ("=>", "a=>b", "/a=>/b=>/c", "/a=>/b;/a=>/c", "=>/only", "/a=>")
    return False


KNOWN = {s.key for s in SETTINGS} | {"enabled", "sync_title", "sync_tags"}


def _problems(world: ChaosWorld, task: str, saved: dict[str, object], data_dir: Path) -> list[str]:
    """Run `task` with `saved` as the plugin's settings; every broken promise found."""
    text = json.dumps(saved, default=str)
    if "NaN" not in text and "Infinity" not in text:
        # what Stash can store: read back over GraphQL by the real settings reader
        world.stash.set_plugin_settings(PLUGIN_ID, saved)
        source = None
    else:  # NaN and infinity cannot cross Stash's JSON: a hand-edited config, via the seam
        source = saved
    connection = world.harness.server_connection()
    stdin = json.dumps({"server_connection": connection, "args": {"mode": task}}).encode()
    outcome = run_in_process(stdin, data_dir, settings=source)
    problems = contract_problems(outcome, one_error_line=False)
    error = outcome.error or ""
    if outcome.exit_code == 1 and not any(k in error for k in ("plex_url", "plex_token", "Plex")):
        problems.append(f"failed without naming the setting (or Plex): {error[:200]}")
    said = "\n".join(outcome.messages("warning") + outcome.messages("error"))
    for key, value in saved.items():
        unknown = key not in KNOWN
        if (unknown or _must_warn(key, value)) and key.strip() and key.strip() not in said:
            problems.append(f"{key}={value!r:.60} ignored without a line naming it")
    return [f"{task} with {sorted(values_of(saved))}: {p}" for p in problems]


def values_of(saved: dict[str, object]) -> list[str]:
    return [f"{k}={v!r:.40}" for k, v in saved.items() if k not in ("plex_url", "plex_token")]


def test_generated_settings_fall_back_per_key_or_stop_naming_the_setting(
    chaos_world: Callable[..., ChaosWorld], tmp_path: Path, tally: Tally
) -> None:
    examples = scale.pick(16, 160)
    tally.area = "hostile"
    tally.scenario = f"Generated settings maps (hypothesis) x{examples:,} across 4 tasks"
    world = chaos_world(scenes=scale.pick(20, 60), seed=5)
    token, url = world.plex.token, world.plex.url
    base = world.sandbox.plugin_settings()
    template = tmp_path / "template"
    before = seed_work(template, inbox=world.matchable()[:3], queued=[], failed=[])
    found: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(values=overrides(token, url), task=st.sampled_from(TASKS))
    def check(values: dict[str, object], task: str) -> None:
        data_dir = fresh_copy(template, tmp_path / "data")
        problems = _problems(world, task, {**base, **values}, data_dir)
        tally.faults += 1
        after = work_of(data_dir)
        with SyncStateStore(data_dir) as state:
            pushed = set(state.sync_timestamps())
        gone = before.pending_scenes - after.pending_scenes - after.failed - pushed
        lost = [f"{task}: work of scenes {sorted(gone)} lost"] if gone else []
        lost += data_dir_problems(data_dir) + wrongly_failed(data_dir)
        tally.add_lost(lost)
        found.extend(problems)
        assert not problems and not lost, (problems + lost)[:5]

    check()
    world.stash.set_plugin_settings(PLUGIN_ID, base)
    tally.add_wrong(wrong_writes(world.before, world.plex.library, writable_items(world.generated)))
    assert tally.clean and not found, tally.summary()


def _nasty(token: str, url: str) -> list[dict[str, object]]:
    """The settings maps that broke (or nearly broke) a task; each one a regression."""
    return [
        {"plex_url": "http://[::1"},  # urlsplit raised: "Internal error" before the fix
        {"plex_url": "http://" + "x" * 100_000},  # the HTTP client could not parse the host
        {"max_retries": 10**400},  # OverflowError before the fix (a hand-edited config)
        {"plex_url": f"http://plex:abc/?X-Plex-Token={token}", "plex_token": ""},  # was echoed
        {"plex_url": f"http://plex:{token}@127.0.0.1:1", "plex_token": ""},  # was echoed
        {"plex_url": f"{url}/web/index.html#!/settings?X-Plex-Token={token}"},
        {"connect_timeout": float("nan"), "read_timeout": -float("inf")},
        {"path_map": "/x" * 5000 + "=>/y", "plex_library": "\u202e🎬, ,\x00"},
        {"reconcile_interval": 7, "reconcile_scope": ["all"], "paused": [True]},
        {"exclude_tags": "," * 10_000, "content_rating": "\x00" * 1000, "ключ ": "значение"},
        {"plex_write_delay_ms": -5, "worker_time_slice": "12abc", "enabled": "banana"},
        {"plex_token": token * 50},  # a 2 KB token: Plex answers 431
        {"plex_library": "é" * 20_000},  # was quoted whole: a 20,000-character error "line"
    ]


def test_nasty_settings_catalogue_on_every_task(
    chaos_world: Callable[..., ChaosWorld], tmp_path: Path, tally: Tally
) -> None:
    world = chaos_world(scenes=20, seed=6)
    base = world.sandbox.plugin_settings()
    catalogue = _nasty(world.plex.token, world.plex.url)
    tally.area = "hostile"
    per_map = len(TASKS) if scale.CHAOS else 1
    tally.scenario = f"Nasty settings catalogue x{len(catalogue)} on {per_map} task(s) each"
    template = tmp_path / "template"
    before = seed_work(template, inbox=world.matchable()[:3], queued=[], failed=[])
    found: list[str] = []
    for number, values in enumerate(catalogue):
        # Fast subset: each map on one task, rotating; `make chaos`: every map on every task.
        tasks = TASKS if scale.CHAOS else [TASKS[number % len(TASKS)]]
        for task in tasks:
            data_dir = fresh_copy(template, tmp_path / "data")
            found += _problems(world, task, {**base, **values}, data_dir)
            tally.faults += 1
            after = work_of(data_dir)
            with SyncStateStore(data_dir) as state:
                pushed = set(state.sync_timestamps())
            gone = before.pending_scenes - after.pending_scenes - after.failed - pushed
            tally.add_lost([f"{task}: work of scenes {sorted(gone)} lost"] if gone else [])
            tally.add_lost(data_dir_problems(data_dir) + wrongly_failed(data_dir))
    world.stash.set_plugin_settings(PLUGIN_ID, base)
    tally.add_wrong(wrong_writes(world.before, world.plex.library, writable_items(world.generated)))
    assert tally.clean, tally.summary()
    assert not found, "\n".join(found[:20])
