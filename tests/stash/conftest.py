"""Fixtures for the Stash access tests: a seeded Stash emulator and endpoints pointing at it.

`stash_emu` holds 12 scenes (ids 1..12, scene 1 with a JPEG cover, scene 2 without), a
studio, performers, tags and a group; `make_library(n)` builds bigger libraries directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.images import jpeg_bytes
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
from stash.connection import StashEndpoint

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
PLUGIN_ID = "Stash2Plex"
TASK_NAME = "Stash2Plex: Process Queue"
API_KEY = "sandbox-api-key-7f3a9c"


def make_library(count: int) -> StashLibrary:
    """`count` scenes with ids 1..count (one file each), inserted in scrambled order."""
    library = StashLibrary()
    library.studios[1] = StashStudio(1, "Parent Studio")
    library.studios[2] = StashStudio(2, "Studio B", parent_id=1)
    library.performers[1] = StashPerformer(1, "Ann")
    library.performers[2] = StashPerformer(2, "Bo")
    library.tags[1] = StashTag(1, "tag, with comma")
    library.groups[1] = StashGroup(1, "Group One")
    order = sorted(range(1, count + 1), key=lambda i: (i * 7919) % (count + 13))
    for scene_id in order:
        library.scenes[scene_id] = StashScene(
            id=scene_id,
            files=[StashFile(scene_id, f"/media/videos/scene {scene_id}.mp4", 1000 + scene_id)],
            created_at=T0,
            updated_at=T0 + timedelta(seconds=scene_id),
            title=f"Scene {scene_id}",
            studio_id=2 if scene_id % 2 else None,
            performer_ids=[1, 2] if scene_id % 3 == 0 else [],
            tag_ids=[1],
            groups=[(1, 4)] if scene_id == 3 else [],
        )
    return library


class StubRunner:
    """The plugin seam of the emulator's job queue: knows our task, runs nothing."""

    plugin_id = PLUGIN_ID

    def task_names(self) -> list[str]:
        return [TASK_NAME]

    def run_task(self, task_name: str, args_map: dict[str, object], progress: Callable) -> None:
        return None

    def fire_hooks(self, *args: object) -> None:
        return None

    def cancel_running(self) -> None:
        return None


@pytest.fixture
def stash_emu() -> Iterator[StashEmulator]:
    library = make_library(12)
    library.scenes[1].cover = jpeg_bytes(1)
    emu = StashEmulator(library)
    emu.plugin_runner = StubRunner()
    emu.run_jobs_inline = False  # queued jobs stay READY, as behind a running scan
    with emu:
        yield emu


@pytest.fixture
def endpoint(stash_emu: StashEmulator) -> StashEndpoint:
    """What the plugin gets on stdin: bind host 0.0.0.0 and a session cookie."""
    return StashEndpoint.from_server_connection(
        {
            "Scheme": "http",
            "Host": "0.0.0.0",
            "Port": stash_emu.port,
            "SessionCookie": {"Name": "session", "Value": stash_emu.new_session_cookie()},
        }
    )


def assert_no_secrets(exc: BaseException, *secrets: str) -> None:
    text = str(exc) + repr(exc) + str(exc.args)
    for secret in secrets:
        assert secret and secret not in text
