"""The scripted Plex step of the worker tests (a seam the emulators cannot reach yet: the
real step is the Plex side's), a fake timer for time slicing, and their JSONL log.

Every processing is appended to `fake_step.jsonl` in the data folder, one line per event,
flushed at once (a SIGKILL keeps every line written before it): `batch` (ids claimed and
handed to the step, pid), `scene` (id, the `updated_at` it saw, outcome kind, pid, start and
end wall times). Outcomes are scripted per scene id (consumed in order; `synced` after the
script runs out). Subprocess workers read the script from the JSON file named by the
environment variable S2P_FAKE_SCRIPT (see `services_from_env`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from base.errors import PlexServerDown
from base.status import SceneStatus
from sync_queue.sync_state import SceneSyncState
from worker.outcomes import Outcome
from worker.services import WorkerServices
from worker.step import StepContext

LOG_FILE = "fake_step.jsonl"
SCRIPT_ENV = "S2P_FAKE_SCRIPT"


class FakeTimer:
    """A monotonic clock the fake step moves forward (time slicing without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Script:
    """What the fake does. `outcomes`: scene id → kinds, consumed per processing.
    `health`: results of successive health checks (True = Plex answers), then True.
    `delay_s`: real seconds per scene; `advance_s`: fake-timer seconds per scene.
    `edit_on_close`: a GraphQL sceneUpdate sent to Stash when the step closes, the first
    time only (an edit landing while the worker finishes): {"url", "scene_id", "title"}."""

    outcomes: dict[int, list[str]] = field(default_factory=dict)
    health: list[bool] = field(default_factory=list)
    delay_s: float = 0.0
    advance_s: float = 0.0
    batch_size: int = 50
    edit_on_close: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, text: str) -> Script:
        raw = json.loads(text)
        raw["outcomes"] = {int(k): list(v) for k, v in raw.get("outcomes", {}).items()}
        return cls(**raw)

    def to_json(self) -> str:
        return json.dumps(
            {**self.__dict__, "outcomes": {str(k): v for k, v in self.outcomes.items()}}
        )


def append_log(data_dir: Path, event: dict[str, Any]) -> None:
    line = (json.dumps(event) + "\n").encode()
    fd = os.open(Path(data_dir) / LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_log(data_dir: Path) -> list[dict[str, Any]]:
    path = Path(data_dir) / LOG_FILE
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def scene_events(data_dir: Path) -> list[dict[str, Any]]:
    return [e for e in read_log(data_dir) if e["event"] == "scene"]


class FakeStep:
    """The scripted step. `on_scene(scene_id, scene)` runs inside processing (in-process
    tests use it to edit a scene while it is being processed)."""

    def __init__(
        self,
        ctx: StepContext,
        script: Script,
        timer: FakeTimer | None = None,
        on_scene: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.script = script
        self.timer = timer
        self.on_scene = on_scene
        self.requests_made = 0
        self.health_checks = 0
        self._pending = {sid: list(kinds) for sid, kinds in script.outcomes.items()}

    def health_check(self) -> None:
        self.health_checks += 1
        self.requests_made += 1
        ok = self.script.health.pop(0) if self.script.health else True
        if not ok:
            raise PlexServerDown("Plex unreachable (fake): connection refused")

    def process(self, scenes: list[dict[str, Any]], ctx: StepContext) -> dict[int, Outcome]:
        ids = [int(s["id"]) for s in scenes]
        append_log(ctx.data_dir, {"event": "batch", "ids": ids, "pid": os.getpid()})
        out: dict[int, Outcome] = {}
        states: list[SceneSyncState] = []
        for scene in scenes:
            sid = int(scene["id"])
            start = time.time()
            kinds = self._pending.get(sid)
            kind = kinds.pop(0) if kinds else "synced"
            if self.on_scene is not None:
                self.on_scene(sid, scene)
            if self.script.delay_s:
                time.sleep(self.script.delay_s)
            if self.timer is not None:
                self.timer.advance(self.script.advance_s)
            self.requests_made += 1
            out[sid] = self._outcome(kind, ctx)
            if kind in ("synced", "unchanged"):  # like the real step: remembered per batch
                states.append(
                    SceneSyncState(
                        sid, str(scene.get("updated_at")), None, last_synced_at=ctx.clock()
                    )
                )
            append_log(
                ctx.data_dir,
                {
                    "event": "scene",
                    "id": sid,
                    "updated_at": scene.get("updated_at"),
                    "kind": kind,
                    "pid": os.getpid(),
                    "start": start,
                    "end": time.time(),
                },
            )
            if kind == "blocked":
                break  # Plex went away: the rest of the batch is not attempted
        if states:
            ctx.sync_state.put_many(states)
        return out

    @staticmethod
    def _outcome(kind: str, ctx: StepContext) -> Outcome:
        if kind == "synced":
            return Outcome(SceneStatus.SYNCED, written=("title",))
        if kind == "unchanged":
            return Outcome(SceneStatus.UNCHANGED)
        if kind == "not_organized":
            return Outcome(SceneStatus.NOT_ORGANIZED, "require_organized is on (fake)")
        if kind == "wait":
            return Outcome(SceneStatus.NOT_SCANNED, "Plex has not scanned the file yet (fake)")
        if kind == "blocked":
            return Outcome(SceneStatus.PLEX_UNREACHABLE, "Plex unreachable (fake)")
        if kind == "failed":
            return Outcome(SceneStatus.OUTSIDE_LIBRARIES, "outside your Plex libraries (fake)")
        if kind == "leaky":  # a careless step quoting the token in its message
            return Outcome(SceneStatus.PLEX_REFUSED, f"token {ctx.config.plex_token} refused")
        return Outcome(SceneStatus.PLEX_ERROR, "Plex answered 503 (fake)")

    def close(self) -> None:
        edit = self.script.edit_on_close
        flag = Path(self.ctx.data_dir) / "edited_on_close"
        if edit and not flag.exists():
            flag.write_text("1")
            edit_scene(edit["url"], int(edit["scene_id"]), str(edit["title"]))


def edit_scene(stash_url: str, scene_id: int, title: str) -> dict[str, Any]:
    """A sceneUpdate through Stash's GraphQL, as the UI sends it (the hooks run inside)."""
    from urllib.parse import urlsplit

    from stash.connection import StashEndpoint
    from stash.hookcalls import post_graphql

    split = urlsplit(stash_url)
    endpoint = StashEndpoint(host=split.hostname or "127.0.0.1", port=split.port or 9999)
    query = (
        "mutation Edit($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id updated_at } }"
    )
    data = post_graphql(endpoint, query, {"input": {"id": str(scene_id), "title": title}}, 60)
    return data["sceneUpdate"]  # type: ignore[return-value]


def services_for(
    script: Script,
    timer: FakeTimer | None = None,
    on_scene: Callable[[int, dict[str, Any]], None] | None = None,
    **overrides: Any,
) -> WorkerServices:
    """WorkerServices with the fake step (and the fake timer, when given)."""
    steps: list[FakeStep] = []

    def factory(ctx: StepContext) -> FakeStep:
        step = FakeStep(ctx, script, timer, on_scene)
        steps.append(step)
        return step

    services = WorkerServices(step_factory=factory, batch_size=script.batch_size, **overrides)
    if timer is not None:
        services.timer = timer
    services.steps = steps  # type: ignore[attr-defined]
    return services


def services_from_env(env: Mapping[str, str]) -> WorkerServices:
    """The driver's services: the script from S2P_FAKE_SCRIPT; a fake timer if it advances."""
    path = env.get(SCRIPT_ENV)
    script = Script.from_json(Path(path).read_text()) if path else Script()
    timer = FakeTimer() if script.advance_s else None
    return services_for(script, timer)
