"""Runs Stash2Plex.py exactly as Stash runs a raw-interface plugin, and reads back what it said.

Subprocess with cwd outside the plugin folder, PYTHONPATH = parent of the plugin folder, one
JSON object on stdin (Go-escaped, no trailing newline, then closed), stdout decoded with
Stash's fallback rule, stderr parsed with Stash's log protocol (reference/stash.md §2-§3).

Over ~400 lines on purpose: the whole Stash process protocol (start, stdin, stdout, stderr,
manifest, job runner) lives in one file so it can be read and checked against the reference.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from runtime.plugin_id import ENTRY_SCRIPT
from sandbox.secrets import note_files, note_output, register

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_FILE = "Stash2Plex.yml"
PLUGIN_ID = "Stash2Plex"

_LEVELS = {"t": "trace", "d": "debug", "i": "info", "w": "warning", "e": "error", "p": "progress"}
_MAX_STDERR_LINE = 64 * 1024  # Stash's bufio.Scanner gives up on a line this long


@dataclass
class LogLine:
    level: str
    message: str


@dataclass
class PluginRun:
    """What one plugin process did, as Stash would see it."""

    exit_code: int
    output: object
    error: str | None
    stdout: str
    stderr: str
    logs: list[LogLine]
    progress: list[float]
    duration_s: float
    killed: bool = False
    overlong_stderr_line: bool = False

    @classmethod
    def from_streams(
        cls,
        exit_code: int,
        stdout: bytes,
        stderr: bytes,
        *,
        duration_s: float,
        errlog: str = "error",
        killed: bool = False,
    ) -> PluginRun:
        """Read a run's raw stdout and stderr the way Stash does (the harness and
        `sandbox.inprocess` both build their results here, so both read the same)."""
        text = stdout.decode("utf-8", "replace")
        logs, progress, overlong = parse_stderr(stderr, errlog)
        output, error = decode_stdout(text)
        return cls(
            exit_code=exit_code,
            output=output,
            error=error,
            stdout=text,
            stderr=stderr.decode("utf-8", "replace"),
            logs=logs,
            progress=progress,
            duration_s=duration_s,
            killed=killed,
            overlong_stderr_line=overlong,
        )

    def messages(self, level: str | None = None) -> list[str]:
        return [line.message for line in self.logs if level is None or line.level == level]

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.error is None


def go_json(obj: object) -> bytes:
    """Encode like Go's json.Marshal: compact, HTML characters escaped, UTF-8, no newline."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def decode_stdout(stdout: str) -> tuple[object, str | None]:
    """Stash's rule: `{"output", "error"}` if stdout decodes as that object, else all is output."""
    try:
        decoded = json.loads(stdout)
    except ValueError:
        return stdout, None
    if not isinstance(decoded, dict):
        return stdout, None
    error = decoded.get("error")
    if error is not None and not isinstance(error, str):
        return stdout, None
    return decoded.get("output"), error


def parse_stderr(raw: bytes, errlog: str = "error") -> tuple[list[LogLine], list[float], bool]:
    """Split stderr into levelled lines and progress values the way Stash's reader does."""
    logs: list[LogLine] = []
    progress: list[float] = []
    overlong = False
    for raw_line in raw.split(b"\n"):
        if len(raw_line) >= _MAX_STDERR_LINE:
            overlong = True
            break  # Stash stops reading the pipe here
        line = raw_line.rstrip(b"\r")
        if not line.strip():
            continue
        if len(line) >= 4 and line[0] == 1 and line[2] == 2 and chr(line[1]) in _LEVELS:
            level = _LEVELS[chr(line[1])]
            message = line[3:].decode("utf-8", "replace").strip()
            if level == "progress":
                try:
                    progress.append(min(1.0, max(0.0, float(message))))
                except ValueError:
                    logs.append(LogLine("error", f"invalid progress value: {message}"))
                continue
            logs.append(LogLine(level, message))
        else:
            logs.append(LogLine(errlog, line.decode("utf-8", "replace")))
    return logs, progress, overlong


class RunningPlugin:
    """A plugin process in flight; `kill()` is Stash's Stop button (SIGKILL, no grace)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        stdin: bytes,
        errlog: str,
        on_progress: Callable[[float], None] | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.process = process
        self._data_dir = data_dir
        self._errlog = errlog
        self._on_progress = on_progress
        self._started = time.monotonic()
        self._killed = False
        self._stdout = b""
        self._stderr = b""
        self._stderr_chunks: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._read, args=("_stdout", process.stdout), daemon=True),
            threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        assert process.stdin is not None
        try:
            process.stdin.write(stdin)
            process.stdin.close()
        except BrokenPipeError:
            pass  # the plugin may exit without reading stdin; Stash ignores that too

    def _read(self, attr: str, stream: object) -> None:
        data = stream.read()  # type: ignore[attr-defined]
        setattr(self, attr, data)

    def process_stderr_so_far(self) -> bytes:
        """stderr received until now (for tests waiting on a log line before acting)."""
        return b"".join(self._stderr_chunks)

    def _read_stderr(self, stream: object) -> None:
        chunks = self._stderr_chunks
        for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
            chunks.append(line)
            if self._on_progress is not None and line.startswith(b"\x01p\x02"):
                try:
                    self._on_progress(min(1.0, max(0.0, float(line[3:].strip()))))
                except ValueError:
                    pass
        self._stderr = b"".join(chunks)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self._killed = True
        try:
            self.process.send_signal(signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
        except ProcessLookupError:
            pass

    def is_running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float | None = 60) -> PluginRun:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(timeout=10)
        duration = time.monotonic() - self._started
        note_output(self._stdout, self._stderr)  # the suite's leak guard reads every run ...
        note_files(self._data_dir)  # ... and every file it left behind
        code = self.process.returncode
        run = PluginRun.from_streams(
            code,
            self._stdout,
            self._stderr,
            duration_s=duration,
            errlog=self._errlog,
            killed=self._killed,
        )
        if code != 0 and run.error is None:
            # Stash reports Go's process error when the plugin gave none.
            run.error = "signal: killed" if code == -signal.SIGKILL else f"exit status {code}"
        return run


@dataclass
class PluginHarness:
    """Starts the plugin like Stash. `stash_url` fills `server_connection` (Scheme/Host/Port)."""

    plugin_dir: Path = REPO_ROOT
    stash_url: str | None = None
    session_cookie: str | None = None
    python: str = sys.executable
    env: dict[str, str] | None = None
    data_dir: Path | None = None
    errlog: str = "error"
    stash_config_dir: Path | None = None
    bind_host: str = "0.0.0.0"  # what Stash puts in Host: its bind address, not dialable
    # Script to start instead of Stash2Plex.py (tests' drivers that inject a scripted seam);
    # relative to plugin_dir or absolute. Everything else about the start stays Stash's.
    entry: str = ENTRY_SCRIPT
    # The manifest's file name in plugin_dir; Stash's plugin id is this name without `.yml`
    # (pkg/plugin/config.go). `sandbox.install.install_plugin` installs under another name.
    manifest_file: str = MANIFEST_FILE
    _cwd: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))

    def __post_init__(self) -> None:
        register(self.session_cookie)

    def server_connection(self) -> dict[str, object]:
        port = 9999
        scheme = "http"
        if self.stash_url:
            split = urlsplit(self.stash_url)
            scheme = split.scheme or "http"
            port = split.port or port
        cookie: dict[str, object] | None = None
        if self.session_cookie is not None:
            cookie = {
                "Name": "session",
                "Value": self.session_cookie,
                "Quoted": False,
                "Path": "/",
                "Domain": "",
                "Expires": "0001-01-01T00:00:00Z",
                "RawExpires": "",
                "MaxAge": 3600,
                "Secure": False,
                "HttpOnly": False,
                "SameSite": 2,
                "Partitioned": False,
                "Raw": "",
                "Unparsed": None,
            }
        return {
            "Scheme": scheme,
            "Host": self.bind_host,
            "Port": port,
            "SessionCookie": cookie,
            "Dir": str(self.stash_config_dir or self.plugin_dir.parent),
            "PluginDir": str(self.plugin_dir),
        }

    def stdin_payload(self, args: dict[str, object]) -> bytes:
        return go_json({"server_connection": self.server_connection(), "args": args})

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Stash passes its own environment; tests must not leak the runner's PYTHONPATH in.
        env.pop("PYTHONPATH", None)
        env.update(self.env or {})
        parent = str(self.plugin_dir.resolve().parent)
        existing = env.get("PYTHONPATH")
        env["PYTHONPATH"] = f"{existing}{os.pathsep}{parent}" if existing else parent
        if self.data_dir is not None:
            env["STASH2PLEX_DATA_DIR"] = str(self.data_dir)
        return env

    def start(
        self,
        args: dict[str, object],
        *,
        raw_stdin: bytes | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> RunningPlugin:
        command = [self.python, str(self.plugin_dir / self.entry)]
        process = subprocess.Popen(
            command,
            cwd=self._cwd,
            env=self._environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        payload = raw_stdin if raw_stdin is not None else self.stdin_payload(args)
        return RunningPlugin(process, payload, self.errlog, on_progress, self.data_dir)

    def run(
        self,
        args: dict[str, object],
        *,
        timeout: float = 60,
        raw_stdin: bytes | None = None,
    ) -> PluginRun:
        return self.start(args, raw_stdin=raw_stdin).wait(timeout=timeout)

    def run_task(self, mode: str, **args: str) -> PluginRun:
        return self.run({"mode": mode, **args})

    @property
    def plugin_id(self) -> str:
        """Stash's id for the plugin: the manifest's file name without its extension."""
        return self.manifest_file.rsplit(".", 1)[0]

    def manifest(self) -> PluginManifest:
        return PluginManifest.load(self.plugin_dir / self.manifest_file)

    def hook_args(
        self,
        trigger: str,
        hook_id: int,
        hook_input: object = None,
        input_fields: list[str] | None = None,
        default_args: dict[str, str] | None = None,
    ) -> dict[str, object]:
        context: dict[str, object] = {"type": trigger, "input": hook_input}
        if hook_id:
            context = {"id": hook_id, **context}  # Go omits a zero id
        if input_fields:
            context["inputFields"] = input_fields
        if default_args is None and (self.plugin_dir / self.manifest_file).is_file():
            hooks = self.manifest().hooks_for(trigger)
            default_args = hooks[0].default_args if hooks else {}
        return {**(default_args or {}), "hookContext": context}

    def run_hook(
        self,
        trigger: str,
        hook_id: int,
        hook_input: object = None,
        input_fields: list[str] | None = None,
        *,
        timeout: float = 60,
    ) -> PluginRun:
        return self.run(self.hook_args(trigger, hook_id, hook_input, input_fields), timeout=timeout)


@dataclass
class ManifestEntry:
    name: str
    default_args: dict[str, str]
    triggered_by: list[str]


@dataclass
class PluginManifest:
    """The parts of the plugin's yml Stash uses to start tasks and hooks."""

    tasks: list[ManifestEntry]
    hooks: list[ManifestEntry]

    @classmethod
    def load(cls, path: Path) -> PluginManifest:
        import yaml  # dev dependency: the sandbox never ships with the plugin

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

        def entries(key: str) -> list[ManifestEntry]:
            return [
                ManifestEntry(
                    name=str(item["name"]),
                    # yaml.v2 stringifies every defaultArgs scalar
                    default_args={
                        str(k): _go_string(v) for k, v in (item.get("defaultArgs") or {}).items()
                    },
                    triggered_by=[str(t) for t in item.get("triggeredBy") or []],
                )
                for item in data.get(key) or []
            ]

        return cls(tasks=entries("tasks"), hooks=entries("hooks"))

    def task(self, name: str) -> ManifestEntry | None:
        return next((t for t in self.tasks if t.name == name), None)

    def hooks_for(self, trigger: str) -> list[ManifestEntry]:
        return [h for h in self.hooks if trigger in h.triggered_by]


def _go_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class StashPluginRunner:
    """Lets the Stash emulator start our tasks and hooks as Stash does, one job at a time."""

    plugin_id = PLUGIN_ID

    def __init__(self, harness: PluginHarness, task_timeout: float = 600) -> None:
        self.harness = harness
        self.plugin_id = harness.plugin_id
        self.task_timeout = task_timeout
        self.runs: list[tuple[str, PluginRun]] = []  # (task name or hook trigger, result)
        self._running: RunningPlugin | None = None
        self._lock = threading.Lock()

    def task_names(self) -> list[str]:
        return [t.name for t in self.harness.manifest().tasks]

    def run_task(
        self,
        task_name: str,
        args_map: dict[str, object],
        progress: Callable[[float], None],
    ) -> str | None:
        task = self.harness.manifest().task(task_name)
        if task is None:
            return f"task {task_name} not found"
        running = self.harness.start({**task.default_args, **args_map}, on_progress=progress)
        with self._lock:
            self._running = running
        try:
            result = running.wait(timeout=self.task_timeout)
        finally:
            with self._lock:
                self._running = None
        with self._lock:
            self.runs.append((task_name, result))
        return result.error

    def fire_hooks(
        self,
        trigger: str,
        hook_id: int,
        hook_input: object,
        input_fields: list[str] | None,
    ) -> None:
        for hook in self.harness.manifest().hooks_for(trigger):
            args = self.harness.hook_args(
                trigger, hook_id, hook_input, input_fields, default_args=hook.default_args
            )
            result = self.harness.run(args, timeout=self.task_timeout)
            with self._lock:
                self.runs.append((trigger, result))

    def cancel_running(self) -> None:
        with self._lock:
            running = self._running
        if running is not None:
            running.kill()

    def results(self, name: str | None = None) -> list[PluginRun]:
        with self._lock:
            return [run for label, run in self.runs if name is None or label == name]
