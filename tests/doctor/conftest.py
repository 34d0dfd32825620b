"""A world for the Health Check: both emulators over a generated library, settings in Stash.

`DoctorWorld.run()` runs the task in this process (`sandbox.inprocess.run_in_process`) exactly
as Stash starts it (stdin `server_connection` pointing at the Stash emulator, settings read
from Stash over GraphQL); `world.plex_requests` holds that run's Plex requests by route.
`check_of(run, name)` and `statuses_of(run)` read the report; the leak guard reads every run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from base.about import PLUGIN_ID
from plex.matching import IndexEntry, PathIndexView, SceneFiles, match_scenes
from plex.paths import detect_style
from sandbox.generator import GeneratedLibrary, GeneratorOptions, generate
from sandbox.harness import REPO_ROOT, PluginRun
from sandbox.inprocess import run_in_process
from sandbox.plex_emu import PlexEmulator
from sandbox.secrets import register
from sandbox.stash_emu import StashEmulator
from validation.path_map import PathMap

PLEX_TOKEN = "doctorPlexToken-7Hq2Zx9"
LISTING = "GET /library/sections/{id}/all"


def check_of(run: PluginRun, name: str) -> dict[str, Any]:
    """The report's check called `name` (the test fails if there is none)."""
    checks = run.output["checks"]  # type: ignore[index]
    found = [c for c in checks if c["name"] == name]
    assert found, f"no check {name!r} in {[c['name'] for c in checks]}"
    return found[0]


def statuses_of(run: PluginRun) -> dict[str, str]:
    return {c["name"]: c["status"] for c in run.output["checks"]}  # type: ignore[index]


@dataclass
class DoctorWorld:
    generated: GeneratedLibrary
    plex: PlexEmulator
    stash: StashEmulator
    data_dir: Path
    request: pytest.FixtureRequest
    settings: dict[str, object] = field(default_factory=dict)
    plex_requests: Counter[str] = field(default_factory=Counter)  # of the last run, by route

    def configure(self, **settings: object) -> None:
        """Store the plugin settings in Stash (the whole map, as the settings page does)."""
        values: dict[str, object] = {"plex_url": self.plex.url, "plex_token": PLEX_TOKEN}
        values.update(settings)
        self.settings = {k: v for k, v in values.items() if v is not None}
        self.stash.set_plugin_settings(PLUGIN_ID, self.settings)

    def stdin(self, cookie: str | None) -> bytes:
        connection = {
            "Scheme": "http",
            "Host": "0.0.0.0",
            "Port": self.stash.port,
            "SessionCookie": {"Name": "session", "Value": cookie} if cookie else None,
            "Dir": str(self.data_dir.parent),
            "PluginDir": str(REPO_ROOT),
        }
        args = {"mode": "health_check"}
        return json.dumps({"server_connection": connection, "args": args}).encode()

    def run(self, cookie: str | None = None) -> PluginRun:
        self.plex.log.clear()
        run = run_in_process(self.stdin(cookie), self.data_dir)
        self.plex_requests = self.plex.log.counts()
        return run

    @property
    def plex_beyond_index(self) -> int:
        """Plex requests of the last run other than the library listings."""
        return sum(self.plex_requests.values()) - self.plex_requests.get(LISTING, 0)

    # -- checking a suggestion against the generator's truth -------------------------------------

    def matchable(self, ids: list[int]) -> list[int]:
        """Sampled scenes the truth says match a Plex item."""
        return [i for i in ids if self.generated.truth.scenes[i].targets]

    def matched_with(self, path_map: str, ids: list[int]) -> set[int]:
        """Scenes among `ids` that the production matcher matches with `path_map` applied."""
        entries = [
            IndexEntry(item.section_id, item.rating_key, part.file, part.size)
            for item in self.generated.plex.items.values()
            for media in item.media
            for part in media.parts
        ]
        locations = [loc for s in self.generated.plex.sections.values() for loc in s.locations]
        view = PathIndexView(entries, detect_style(locations))
        scenes = [
            SceneFiles(i, tuple((f.path, f.size) for f in self.generated.stash.scenes[i].files))
            for i in ids
        ]
        results = match_scenes(scenes, view, PathMap.parse(path_map).to_plex)
        return {sid for sid, r in results.items() if r.status.value == "matched"}


def remember_secret(request: pytest.FixtureRequest, secret: str) -> None:
    """A secret this test handed the plugin (a session cookie): it must appear nowhere."""
    register(secret)


def make_world(
    request: pytest.FixtureRequest, tmp_path: Path, options: GeneratorOptions, **plex_kwargs: Any
) -> Iterator[DoctorWorld]:
    generated = generate(options)
    plex = PlexEmulator(library=generated.plex, token=PLEX_TOKEN, **plex_kwargs).start()
    stash = StashEmulator(library=generated.stash, tz_offset=generated.options.tz_offset).start()
    world = DoctorWorld(generated, plex, stash, tmp_path / "data", request)
    world.configure()
    try:
        yield world
    finally:
        stash.stop()
        plex.stop()


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DoctorWorld]:
    """1,000 scenes, Stash under /data/videos, Plex under /media/videos; no path_map set."""
    yield from make_world(request, tmp_path, GeneratorOptions(scenes=1000, seed=3))
