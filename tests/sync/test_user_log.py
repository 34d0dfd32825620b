"""What a user reads in Stash's log after a sync (issue 13): every scene that was not synced
is counted by reason, a few are named by id and title, each reason's fix is said once, in
words; no exception class names, no internal keys at info, nothing printed twice, at most
one warning per reason besides the summary, no info line over 300 characters.

Run as Stash runs the plugin (`sandbox.harness`: a subprocess, its stderr parsed with
Stash's log protocol) against both emulators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import base.errors
import plex.errors
import stash.errors
from base.status import SceneStatus
from runtime import voice
from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from sandbox.httpd import Fault
from sandbox.inprocess import run_in_process
from sandbox.world import Sandbox, start_sandbox
from sync_queue.inbox import Inbox
from tests.sync.conftest import EDIT
from worker.outcomes import RetryPolicy
from worker.services import WorkerServices

_ITEM_KEY = re.compile(r"\b\d+/\d+\b|\bitem \d+|\bratingKey")
_CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b")
_QUOTED = re.compile(r'"[^"]*"')  # scene titles quoted as examples are the user's own words
_EXAMPLE = re.compile(r"(?:e\.g\. |, )(\d+)(?= \"|[,;)])")


def _error_classes() -> set[str]:
    """Every exception class the product defines (the words users must never read)."""
    return {
        name
        for module in (base.errors, plex.errors, stash.errors)
        for name, obj in vars(module).items()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
    }


def assert_user_log(run: PluginRun) -> list[str]:
    """The rules of issue 13 over one run's log; returns its non-debug lines."""
    lines = [line for line in run.logs if not line.message.startswith("[debug] ")]
    text = "\n".join(line.message for line in lines)
    classes = _error_classes()
    assert classes >= {"PlexServerDown", "PlexBadRequest", "StashQueryError", "ImageUnavailable"}
    unquoted = _QUOTED.sub('""', text)
    assert not [name for name in classes if name in unquoted], text
    assert not _CAMEL.findall(unquoted.replace("Stash2Plex", "")), _CAMEL.findall(unquoted)
    for line in lines:
        if line.level == "info":
            assert len(line.message) <= voice.INFO_LIMIT, line.message
            assert not _ITEM_KEY.search(_QUOTED.sub('""', line.message)), line.message
    # nothing twice: no line repeated, no scene named in two lines, no per-scene lines
    messages = [line.message for line in lines]
    assert len(messages) == len(set(messages)), messages
    named = [int(sid) for message in messages for sid in _EXAMPLE.findall(message)]
    assert len(named) == len(set(named)), named
    assert not [m for m in messages if m.startswith(("Scene ", "Failed:"))]
    return messages


@pytest.fixture
def big_world(tmp_path: Path) -> Iterator[Sandbox]:
    world = start_sandbox(GeneratorOptions(scenes=2000, seed=13), data_dir=tmp_path / "data")
    try:
        yield world
    finally:
        world.stop()


def test_a_sync_all_of_2000_scenes_tells_every_failure_kind_once_in_words(
    big_world: Sandbox,
) -> None:
    world = big_world
    truth = world.generated.truth
    # Every fate a scene can meet, planted or injected:
    clean = sorted(
        sid
        for sid, fact in truth.scenes.items()
        if fact.targets and sid not in truth.no_metadata | truth.no_cover | truth.ambiguous
    )
    not_organized = set(clean[:: len(clean) // 9][:9])  # require_organized: not pushed
    with world.stash.library.lock:
        for sid, scene in world.stash.library.scenes.items():
            scene.organized = sid not in not_organized
    # Absolute positions among the run's edits (each fault counts every PUT it sees): one
    # request at a time, so a 503 is a scene's failure, not a crowd's (retried, issue 20).
    world.configure_plugin(require_organized=True, plex_parallel_writes=1)
    put = {"method": "PUT", "path_regex": r"^/library/sections/\d+/all"}
    # Plex refuses every edit of one scene's item.
    refused = next(sid for sid in clean[len(clean) // 2 :] if sid not in not_organized)
    world.plex.refuse_edits = {(truth.scenes[refused].targets[0][1], None): 400}
    world.plex.knobs.add_fault(Fault("status", status=503, skip=80, count=2, **put))  # a 5xx
    world.plex.knobs.add_fault(Fault("status", status=404, skip=120, count=2, **put))  # gone
    world.stash.knobs.add_fault(  # a cover download Stash does not answer
        Fault("status", status=503, path_regex=r"^/scene/\d+/screenshot", skip=30, count=1)
    )

    # Retries are due an hour later, not 30 s: a run slowed by a busy machine must not meet its
    # own retried scenes again, so "every scene once" below holds however long it takes.
    assert world.harness.data_dir is not None
    slow_retries = WorkerServices(policy=RetryPolicy(base_delay_s=3600.0))
    stdin = world.harness.stdin_payload({"mode": "sync_all"})
    run = run_in_process(stdin, world.harness.data_dir, services=slow_retries)

    assert run.ok, (run.error, run.stderr[-3000:])
    assert world.plex.log.count(EDIT) > 1000  # the library was synced
    output = run.output
    assert isinstance(output, dict)
    groups = {(g["fate"], g["reason"]): g["count"] for g in output["not_synced"]}
    expected_not_pushed = {
        "not_organized": len(not_organized),
        "no_metadata": len(truth.no_metadata - not_organized),
        "no_files": len(truth.no_files - truth.no_metadata - not_organized),
    }
    assert {r: n for (f, r), n in groups.items() if f == "not pushed"} == expected_not_pushed
    assert output["not_pushed"] == sum(expected_not_pushed.values())
    every_kind = {
        ("waiting", SceneStatus.NOT_SCANNED),
        ("waiting", SceneStatus.COVER_PENDING),
        ("failed", SceneStatus.OUTSIDE_LIBRARIES),
        ("failed", SceneStatus.AMBIGUOUS),
        ("failed", SceneStatus.PLEX_REFUSED),
        ("to be retried", SceneStatus.PLEX_ERROR),
        ("to be retried", SceneStatus.ITEM_GONE),
        ("to be retried", SceneStatus.STASH_UNAVAILABLE),
    }
    assert {(f, SceneStatus(r)) for f, r in groups if f != "not pushed"} == every_kind
    assert groups[("failed", "plex_refused")] == 1 and groups[("to be retried", "plex_error")] == 2
    counted = sum(groups.values()) + output["synced"] + output["unchanged"]
    assert counted == output["processed"] == len(truth.scenes)  # every scene, once

    messages = assert_user_log(run)
    # The summary counts them: the head, one line per fate with every reason and its count
    head = next(m for m in messages if m.startswith("Sync All Scenes: ") and " synced, " in m)
    assert f"{output['not_pushed']:,} not pushed" in head
    for fate in ("not pushed", "waiting", "to be retried", "failed"):
        (line,) = [m for m in messages if re.match(rf"^[\d,]+ scenes? {fate}: ", m)]
        for (group_fate, reason), count in groups.items():
            if group_fate == fate:
                assert f"{SceneStatus(reason).phrase} ({count:,}" in line, line
    # Warnings: the failed scenes' line, nothing else; one fix per reason, once.
    (warning,) = run.messages("warning")
    assert warning.startswith(f"{output['failed']:,} scenes failed: ")
    reasons = {SceneStatus(reason) for _, reason in groups}
    for status in reasons:
        fix = voice.fix_line(status.phrase, status.fix)
        assert messages.count(fix) == 1, fix


def test_scenes_not_pushed_are_named_with_their_reason_and_counted(tmp_path: Path) -> None:
    """A small run (three scenes edited): each scene not pushed is named in an info line
    with its reason, the summary counts them, and View Status counts them too."""
    world = start_sandbox(GeneratorOptions(scenes=100, seed=7), data_dir=tmp_path / "data")
    try:
        truth = world.generated.truth
        organized_off = min(
            sid
            for sid, fact in truth.scenes.items()
            if fact.targets and sid not in truth.no_metadata
        )
        no_metadata = min(truth.no_metadata - truth.no_files)
        no_files = min(truth.no_files - truth.no_metadata)
        with world.stash.library.lock:
            for sid, scene in world.stash.library.scenes.items():
                scene.organized = sid != organized_off
        world.configure_plugin(require_organized=True)
        assert world.harness.data_dir is not None
        world.harness.data_dir.mkdir(parents=True, exist_ok=True)
        with Inbox(world.harness.data_dir) as inbox:  # as the three scenes' hooks record them
            inbox.record("scene", [organized_off, no_metadata, no_files], "Scene.Update.Post")

        run = world.harness.run_task("process_queue")

        assert run.ok, (run.error, run.stderr[-3000:])
        messages = assert_user_log(run)
        titles = {sid: world.stash.library.scenes[sid].title for sid in truth.scenes}
        (line,) = [m for m in messages if m.startswith("3 scenes not pushed: ")]
        for sid, phrase in (
            (organized_off, "not organized"),
            (no_metadata, "no meaningful metadata"),
            (no_files, "no files"),
        ):
            assert f"{phrase} (1, e.g. {voice.scene_ref(sid, titles[sid])})" in line, line
        assert isinstance(run.output, dict) and run.output["not_pushed"] == 3
        assert any(
            m.startswith("Stash2Plex: Process Queue: 0 synced, 0 unchanged, 3 not pushed")
            for m in messages
        )

        status = world.harness.run_task("status")
        assert status.ok, status.error
        shown = assert_user_log(status)
        assert any(
            m.startswith("Last run: 3 scenes not pushed: not organized (1, e.g. ") for m in shown
        ), shown
    finally:
        world.stop()
