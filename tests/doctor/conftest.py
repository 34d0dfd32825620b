"""A world for the Health Check: both emulators over a generated library, settings in Stash.

`DoctorWorld.run()` runs the task in-process through `plugin.app.run` exactly as Stash starts
it (stdin `server_connection` pointing at the Stash emulator, settings read from Stash over
GraphQL); the Plex emulator's request log is cleared first, so `run.plex` holds that run's
requests by route. A guard fails any test whose captured output carries a secret.
"""

from __future__ import annotations

import io
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
from plugin.app import run
from sandbox.generator import GeneratedLibrary, GeneratorOptions, generate
from sandbox.harness import REPO_ROOT, LogLine, parse_stderr
from sandbox.plex_emu import PlexEmulator
from sandbox.secrets import note_output, register
from sandbox.stash_emu import StashEmulator
from validation.path_map import PathMap

PLEX_TOKEN = "doctorPlexToken-7Hq2Zx9"
LISTING = "GET /library/sections/{id}/all"


@dataclass
class DoctorRun:
    exit_code: int
    stdout: str
    stderr: str
    output: dict[str, Any]
    error: str | None
    logs: list[LogLine]
    plex: Counter[str]

    def check(self, name: str) -> dict[str, Any]:
        found = [c for c in self.output["checks"] if c["name"] == name]
        assert found, f"no check {name!r} in {[c['name'] for c in self.output['checks']]}"
        return found[0]

    def status(self) -> dict[str, str]:
        return {c["name"]: c["status"] for c in self.output["checks"]}

    def messages(self, level: str | None = None) -> list[str]:
        return [line.message for line in self.logs if level is None or line.level == level]

    @property
    def plex_beyond_index(self) -> int:
        return sum(self.plex.values()) - self.plex.get(LISTING, 0)


@dataclass
class DoctorWorld:
    generated: GeneratedLibrary
    plex: PlexEmulator
    stash: StashEmulator
    data_dir: Path
    request: pytest.FixtureRequest
    settings: dict[str, object] = field(default_factory=dict)

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

    def run(self, cookie: str | None = None) -> DoctorRun:
        self.plex.log.clear()
        out, err = io.BytesIO(), io.BytesIO()
        code = run(
            self.stdin(cookie),
            plugin_dir=REPO_ROOT,
            stdout=out,  # type: ignore[arg-type]
            stderr=err,  # type: ignore[arg-type]
            env={"STASH2PLEX_DATA_DIR": str(self.data_dir)},
            ensure_deps=lambda ctx: None,
        )
        stdout = out.getvalue().decode("utf-8")
        stderr = err.getvalue().decode("utf-8", "replace")
        record_output(self.request, stdout, stderr)
        logs, _, _ = parse_stderr(err.getvalue())
        document = json.loads(stdout)
        return DoctorRun(
            code,
            stdout,
            stderr,
            document["output"],
            document["error"],
            logs,
            self.plex.log.counts(),
        )

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


def record_output(request: pytest.FixtureRequest, *texts: str) -> None:
    """Feed an in-process run's output to the suite's leak guard (tests/conftest.py)."""
    note_output(*texts)


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
