"""Fixtures and fakes for the Stash emulator tests (all named stash_*).

tests/sandbox/conftest.py belongs to the Plex emulator tests, so test modules pull these in
with `stash_emu = stash_fixtures.stash_emu`. `RecordingRunner` is a legitimate fake at the
PluginRunner seam, which the sandbox otherwise fills with the plugin harness.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from stashapi.stashapp import StashInterface

from sandbox.images import jpeg_bytes, png_bytes
from sandbox.model import (
    StashFile,
    StashGroup,
    StashLibrary,
    StashPerformer,
    StashScene,
    StashStudio,
    StashTag,
)
from sandbox.stash_emu import StashEmulator

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
PLUGIN_ID = "Stash2Plex"

# Fields the plugin reads (stash.md §7.5), as explicit stashapi fragment text.
SCENE_FIELDS = """id title details date rating100 organized updated_at created_at urls
files { id path basename size duration parent_folder { id path } }
paths { screenshot }
studio { id name image_path parent_studio { name } }
performers { id name image_path }
tags { id name }
groups { group { id name front_image_path } scene_index }"""


class StashClock:
    """Injected clock: tests move `now` by hand."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(days=30)

    def __call__(self) -> datetime:
        return self.now


def stash_library() -> StashLibrary:
    """Small library with the awkward cases: multi-file, no files, Windows path, no studio."""
    lib = StashLibrary()
    lib.studios[1] = StashStudio(1, "Parent Co", updated_at=T0)
    lib.studios[2] = StashStudio(2, "Child Studio", parent_id=1, image=png_bytes(2), updated_at=T0)
    lib.studios[3] = StashStudio(3, "Other Studio", updated_at=T0)
    lib.performers[1] = StashPerformer(1, "Ann", image=jpeg_bytes("ann"), updated_at=T0)
    lib.performers[2] = StashPerformer(2, "Bob", updated_at=T0)
    lib.performers[3] = StashPerformer(3, "Cy", updated_at=T0)
    for tag_id, name in ((1, "Red"), (2, "Blue"), (3, "Green")):
        lib.tags[tag_id] = StashTag(tag_id, name, updated_at=T0)
    lib.groups[1] = StashGroup(1, "Series", updated_at=T0)

    def add(scene_id: int, paths: list[str], **fields: Any) -> None:
        files = [StashFile(scene_id * 10 + i, p, 1000 * scene_id + i) for i, p in enumerate(paths)]
        stamp = T0 + timedelta(hours=scene_id)
        lib.scenes[scene_id] = StashScene(scene_id, files, stamp, stamp, **fields)

    add(
        1,
        ["/media/videos/alpha one.mp4"],
        title="Alpha",
        studio_id=2,
        performer_ids=[1, 2],
        tag_ids=[1, 2],
        date="2020-05-06",
        rating100=80,
        cover=jpeg_bytes(1),
        groups=[(1, 2)],
    )
    add(
        2,
        ["/media/videos/Beta_two.MKV", "/archive/beta copy.mp4"],
        title="Beta",
        studio_id=1,
        performer_ids=[2],
        tag_ids=[2],
        date="2021-07",
    )
    add(
        3,
        ["D:\\Clips\\gamma 100%.mp4"],
        title="Gamma",
        studio_id=3,
        performer_ids=[3],
        tag_ids=[3],
        date="2019",
        organized=True,
    )
    add(4, [], title=None)
    add(5, ["/media/other/Épisode.mp4"], title="épisode")
    for scene_id in range(6, 31):
        add(scene_id, [f"/media/filler/f{scene_id}.mp4"], title=f"Filler {scene_id}")
    return lib


@dataclass
class RecordingRunner:
    """PluginRunner fake: records calls; `on_hook` lets a test act inside a hook."""

    emu: StashEmulator
    plugin_id: str = PLUGIN_ID
    hooks: list[tuple[str, int, object, list[str] | None]] = field(default_factory=list)
    tasks: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    on_hook: Callable[[str, int], None] | None = None
    release: threading.Event = field(default_factory=threading.Event)
    block_tasks: bool = False
    cancelled: int = 0

    def task_names(self) -> list[str]:
        return ["Process Queue", "Fail"]

    def run_task(
        self, task_name: str, args_map: dict[str, object], progress: Callable[[float], None]
    ) -> str | None:
        self.tasks.append((task_name, args_map))
        progress(0.5)
        if self.block_tasks:
            self.release.wait(10)
        return "boom" if task_name == "Fail" else None

    def fire_hooks(
        self, trigger: str, hook_id: int, hook_input: object, input_fields: list[str] | None
    ) -> None:
        self.hooks.append((trigger, hook_id, hook_input, input_fields))
        if self.on_hook is not None:
            self.on_hook(trigger, hook_id)

    def cancel_running(self) -> None:
        self.cancelled += 1
        self.release.set()


@pytest.fixture
def stash_clock() -> StashClock:
    return StashClock()


@pytest.fixture
def stash_emu(stash_clock: StashClock) -> Iterator[StashEmulator]:
    emu = StashEmulator(stash_library(), clock=stash_clock)
    with emu:
        yield emu


@pytest.fixture
def stash_client(stash_emu: StashEmulator) -> StashInterface:
    return StashInterface(stash_emu.connection())


@pytest.fixture
def stash_runner(stash_emu: StashEmulator) -> RecordingRunner:
    runner = RecordingRunner(stash_emu)
    stash_emu.plugin_runner = runner
    return runner
