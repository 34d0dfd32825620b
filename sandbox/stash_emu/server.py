"""`StashEmulator`: one emulated Stash server on 127.0.0.1, with its knobs and test helpers.

It wires the library, the GraphQL engine, authentication, the job queue and the hook log to a
LoopbackServer, and offers helpers that change the library the way Stash's scanner would
(with hooks) or behind its back (without).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sandbox.httpd import Knobs, LoopbackServer, RequestLog, wait_until
from sandbox.model import (
    StashFile,
    StashGroup,
    StashLibrary,
    StashPerformer,
    StashScene,
    StashStudio,
    StashTag,
)
from sandbox.secrets import register
from sandbox.stash_emu.app import HttpOptions, StashApp
from sandbox.stash_emu.auth import AuthState, HookChain
from sandbox.stash_emu.hooks import fire
from sandbox.stash_emu.jobs import Job, JobManager, PluginRunner
from sandbox.stash_emu.library_jobs import queue_auto_tag, queue_scan
from sandbox.stash_emu.releases import LATEST, stored_settings
from sandbox.stash_emu.releases import release as release_mode
from sandbox.stash_emu.state import HookCall, State
from sandbox.stash_emu.values import Extras, TimeFormatter, oshash, parse_offset


class StashEmulator:
    """A Stash server the real stashapi clients and the plugin talk to unchanged."""

    def __init__(
        self,
        library: StashLibrary | None = None,
        *,
        tz_offset: str = "Z",
        version: str | None = None,
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        release: str = LATEST,
    ) -> None:
        """`release`: the release mode (`releases.RELEASES`): that release's schema, settings
        keys and job descriptions; `version` (default: the release's tag) is what
        `version { version }` answers."""
        self.library = library if library is not None else StashLibrary()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._tz_offset = tz_offset
        tz = parse_offset(tz_offset)
        jobs = JobManager(self.now)
        jobs.job_errors = release_mode(release).job_errors
        register(self.library.api_key)
        auth = AuthState(clock=self.now, api_key=lambda: self.library.api_key)
        self.state = State(
            library=self.library,
            clock=self.now,
            fmt=TimeFormatter(tz),
            server_fmt=TimeFormatter(tz),
            jobs=jobs,
            auth=auth,
            chain=HookChain(auth),
            version=version if version is not None else release,
            mode=release_mode(release),
        )
        self.app = StashApp(self.state)
        self.server = LoopbackServer(self.app, port=port)

    # --- server --------------------------------------------------------------------------------

    @property
    def knobs(self) -> Knobs:
        return self.server.knobs

    @property
    def log(self) -> RequestLog:
        return self.server.log

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def http(self) -> HttpOptions:
        return self.app.options

    def start(self) -> StashEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.state.jobs.shutdown()

    def __enter__(self) -> StashEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def go_down(self) -> None:
        """Connection refused from now on (the job queue keeps its state)."""
        self.server.go_down()

    def come_up(self) -> None:
        self.server.come_up()

    def connection(self, **extra: Any) -> dict[str, Any]:
        """A `server_connection`-like dict for StashInterface (Scheme/Host/Port + extras)."""
        return {"Scheme": "http", "Host": "127.0.0.1", "Port": self.port, **extra}

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    @property
    def tz_offset(self) -> str:
        return self._tz_offset

    @tz_offset.setter
    def tz_offset(self, value: str) -> None:
        """The server's UTC offset ('Z', '+01:00'): changes how every timestamp renders."""
        tz = parse_offset(value)
        keep = self.state.fmt.keep_offsets
        self._tz_offset = value
        self.state.fmt = TimeFormatter(tz, keep)
        self.state.server_fmt = TimeFormatter(tz)

    @property
    def keep_stored_offsets(self) -> bool:
        return self.state.fmt.keep_offsets

    @keep_stored_offsets.setter
    def keep_stored_offsets(self, value: bool) -> None:
        """True: each timestamp keeps the offset it carries (rows written before a DST change
        keep the old suffix), and the clock's writes are stored in the server's offset."""
        self.state.fmt = TimeFormatter(parse_offset(self._tz_offset), value)

    def stored_now(self) -> datetime:
        return self.state.stamp()

    # --- auth ----------------------------------------------------------------------------------

    def enable_auth(self, username: str = "admin", password: str = "sandbox-password") -> None:
        register(password)
        self.state.auth.username = username
        self.state.auth.password = password

    def disable_auth(self) -> None:
        self.state.auth.username = ""
        self.state.auth.password = ""

    @property
    def auth_enabled(self) -> bool:
        return self.state.auth.has_credentials

    @property
    def session_max_age(self) -> int:
        return self.state.auth.max_session_age

    @session_max_age.setter
    def session_max_age(self, seconds: int) -> None:
        self.state.auth.max_session_age = seconds

    def new_session_cookie(self) -> str:
        """A valid `session` cookie value, as Stash hands a task (empty hook-visit list)."""
        value = self.state.auth.new_session().value
        register(value)  # the suite's leak guard looks for every cookie handed out
        return value

    def hook_session(self, plugin_id: str, trigger: str) -> str | None:
        """Cookie for a hook about to run inside the current request; None = loop guard hit."""
        return self.state.chain.hook_session(plugin_id, trigger)

    @property
    def api_key(self) -> str:
        return self.library.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        register(value)
        self.library.api_key = value

    # --- plugins and jobs ----------------------------------------------------------------------

    @property
    def plugin_runner(self) -> PluginRunner | None:
        return self.state.jobs.runner

    @plugin_runner.setter
    def plugin_runner(self, runner: PluginRunner | None) -> None:
        self.state.jobs.runner = runner

    @property
    def jobs(self) -> list[Job]:
        return self.state.jobs.jobs

    @property
    def run_jobs_inline(self) -> bool:
        return self.state.jobs.inline

    @run_jobs_inline.setter
    def run_jobs_inline(self, value: bool) -> None:
        self.state.jobs.inline = value

    def run_next_job(self) -> Job | None:
        return self.state.jobs.run_next()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return self.state.jobs.wait_idle(timeout)

    @property
    def hook_log(self) -> list[HookCall]:
        with self.state.hook_lock:
            return list(self.state.hook_log)

    @property
    def shuffle_input_fields(self) -> bool:
        return self.state.shuffle_input_fields

    @shuffle_input_fields.setter
    def shuffle_input_fields(self, value: bool) -> None:
        self.state.shuffle_input_fields = value

    @property
    def release(self) -> str:
        """The release mode's tag (`v0.24.3` … `v0.30.1`)."""
        return self.state.mode.tag

    def set_plugin_settings(self, plugin_id: str, values: dict[str, object]) -> None:
        """Store a plugin's settings as the Settings page would (snake_cased on v0.24/v0.25)."""
        with self.library.lock:
            self.library.plugin_settings[plugin_id] = stored_settings(self.state.mode, values)

    # --- library helpers (no hooks unless named after a Stash task) ------------------------------

    @property
    def extras(self) -> Extras:
        return self.state.extras

    def next_scene_id(self) -> int:
        return max(self.library.scenes, default=0) + 1

    def new_scene(self, paths: list[str] | str | None = None, **fields: Any) -> StashScene:
        """Build and add a scene (ids, files and timestamps filled in) without hooks."""
        with self.library.lock:
            scene_id = fields.pop("id", None) or self.next_scene_id()
            paths = [paths] if isinstance(paths, str) else list(paths or [])
            next_file = 1 + max(
                (f.id for s in self.library.scenes.values() for f in s.files), default=0
            )
            files = [
                StashFile(next_file + i, p, 1_000_000 * (scene_id + i)) for i, p in enumerate(paths)
            ]
            now = self.stored_now()
            scene = StashScene(
                id=scene_id,
                files=fields.pop("files", files),
                created_at=fields.pop("created_at", now),
                updated_at=fields.pop("updated_at", now),
                **fields,
            )
            self.library.scenes[scene_id] = scene
        return scene

    def add_scene(self, scene: StashScene) -> StashScene:
        with self.library.lock:
            self.library.scenes[scene.id] = scene
        return scene

    def add_studio(self, studio: StashStudio) -> StashStudio:
        with self.library.lock:
            self.library.studios[studio.id] = studio
        return studio

    def add_performer(self, performer: StashPerformer) -> StashPerformer:
        with self.library.lock:
            self.library.performers[performer.id] = performer
        return performer

    def add_tag(self, tag: StashTag, parent_ids: list[int] | None = None) -> StashTag:
        """Add a tag; `parent_ids` builds the hierarchy `tags` criteria expand with depth."""
        with self.library.lock:
            self.library.tags[tag.id] = tag
            if parent_ids is not None:
                self.extras.set("tag", tag.id, parent_ids=list(parent_ids))
        return tag

    def add_group(self, group: StashGroup) -> StashGroup:
        with self.library.lock:
            self.library.groups[group.id] = group
        return group

    def scan_create(self, scene: StashScene) -> None:
        """A scan found a new file: add the scene and fire Scene.Create.Post (input null)."""
        self.add_scene(scene)
        fire(self.state, "Scene.Create.Post", scene.id, None, None)

    def scan_update(self, scene_id: int) -> None:
        """A scan changed a file of an existing scene: Scene.Update.Post with input null."""
        with self.library.lock:
            self.library.scenes[scene_id].updated_at = self.stored_now()
        fire(self.state, "Scene.Update.Post", scene_id, None, None)

    def clean_destroy(self, scene_id: int) -> None:
        """The Clean task removed a scene whose file vanished (Scene.Destroy.Post)."""
        with self.library.lock:
            scene = self.library.scenes.pop(scene_id)
        primary = scene.files[0] if scene.files else None
        hook_input = {
            "id": "",
            "delete_file": None,
            "delete_generated": None,
            "checksum": "",
            "oshash": oshash(primary.path, primary.size) if primary else "",
            "path": primary.path if primary else "",
        }
        fire(self.state, "Scene.Destroy.Post", scene_id, hook_input, None)

    def queue_scan(
        self,
        new_scenes: list[dict[str, Any]],
        after_each: Callable[[int], None] | None = None,
    ) -> Job:
        """Queue a scan job that finds one new scene per `new_scenes` entry (`new_scene`'s
        keyword arguments, `paths` included) and fires Scene.Create.Post for each."""

        def factory(spec: dict[str, Any]) -> Callable[[], StashScene]:
            return lambda: self.new_scene(**spec)

        return queue_scan(self.state, [factory(dict(s)) for s in new_scenes], after_each)

    def queue_auto_tag(self, paths: list[str] | None = None) -> Job:
        """Queue Stash's file-based Auto Tag (all performers, studios and tags)."""
        spec: dict[str, Any] = {"performers": ["*"], "studios": ["*"], "tags": ["*"]}
        if paths:
            spec["paths"] = list(paths)
        return queue_auto_tag(self.state, spec)

    def run_until_idle(self, limit: int = 50) -> list[Job]:
        """Run queued jobs one after another (first in, first out) until none waits."""
        ran: list[Job] = []
        while len(ran) < limit:
            job = self.run_next_job()
            if job is None:
                return ran
            ran.append(job)
        raise AssertionError(f"Stash's job queue did not drain after {limit} jobs")

    def wait_for_requests(self, route: str, count: int, timeout: float = 5.0) -> bool:
        return wait_until(lambda: self.log.count(route) >= count, timeout)
