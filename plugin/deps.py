"""Make the task path's packages importable: check them, install them once, or say how.

Tasks only, never hooks (hooks need nothing but the standard library). Missing packages are
installed from the pinned `requirements.txt` into the plugin's own data folder
(`pip install --target`, with the interpreter Stash runs, under a cross-process lock),
through PythonDepManager when that plugin is present. `--target` sidesteps PEP 668, so
`--break-system-packages` is never used. On failure: one line with the exact command.
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from base.errors import DependencyError
from plugin.filelock import FileLock
from stash.log import StashLog

__all__ = [
    "DEPENDENCIES",
    "Dependency",
    "activate",
    "deps_dir",
    "ensure_dependencies",
    "install_command",
    "missing_dependencies",
    "read_pins",
]

LOCK_FILE = "deps.lock"
LOCK_TIMEOUT_S = 900.0  # another process may be downloading pydantic-core on a slow link
INSTALL_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Dependency:
    """A runtime package: its import name, distribution name and accepted version range."""

    import_name: str
    dist_name: str
    minimum: str
    below: str


# Ranges mirror pyproject.toml; requirements.txt pins the exact versions installed.
DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("plexapi", "plexapi", "4.15.6", "5"),
    Dependency("stashapi", "stashapp-tools", "0.2.58", "0.3"),
    Dependency("pydantic", "pydantic", "2.6", "3"),
    Dependency("persistqueue", "persist-queue", "1.0", "2"),
    Dependency("requests", "requests", "2.31", "3"),
)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def deps_dir(data_dir: Path) -> Path:
    """Install folder for this interpreter and platform (compiled wheels differ per ABI)."""
    tag = f"{sys.implementation.cache_tag}-{sys.platform}-{platform.machine().lower()}"
    return Path(data_dir) / "deps" / tag


def activate(target: Path) -> bool:
    """Put `target` right after the plugin folder on sys.path (our pins win); True if added."""
    entry = str(target)
    if not target.is_dir() or entry in sys.path:
        return False
    sys.path.insert(1 if sys.path else 0, entry)
    importlib.invalidate_caches()
    return True


def _installed_version(dist_name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist_name)
    except metadata.PackageNotFoundError:
        return None


def missing_dependencies(deps: Sequence[Dependency] = DEPENDENCIES) -> list[Dependency]:
    """Packages not importable, or installed in a version outside their range."""
    missing = []
    for dep in deps:
        if importlib.util.find_spec(dep.import_name) is None:
            missing.append(dep)
            continue
        version = _installed_version(dep.dist_name)
        if version is not None and not (
            _version_tuple(dep.minimum) <= _version_tuple(version) < _version_tuple(dep.below)
        ):
            missing.append(dep)
    return missing


def read_pins(requirements: Path) -> dict[str, str]:
    """`{distribution name (lower case): version}` of the `name==version` lines."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def install_command(
    python: str, target: Path, requirements: Path, pip_args: Sequence[str] = ()
) -> list[str]:
    return [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--upgrade",
        "--target",
        str(target),
        *pip_args,
        "-r",
        str(requirements),
    ]


def _shell(command: Sequence[str]) -> str:
    if sys.platform == "win32":
        return subprocess.list2cmdline(list(command))
    return shlex.join(command)


def _names(deps: Sequence[Dependency]) -> str:
    return ", ".join(d.dist_name for d in deps)


def _try_dep_manager(deps: Sequence[Dependency], requirements: Path, log: StashLog) -> None:
    """Let the PythonDepManager plugin install the pins, when it is installed beside us."""
    if importlib.util.find_spec("PythonDepManager") is None:
        return
    pins = read_pins(requirements)
    specs = [
        f"{d.import_name}:{d.dist_name}=={pins[d.dist_name.lower()]}"
        for d in deps
        if d.dist_name.lower() in pins
    ]
    try:
        from PythonDepManager import ensure_import  # type: ignore[import-not-found]

        ensure_import(*specs)
    except (Exception, SystemExit) as exc:  # a sibling plugin: any failure means "use pip"
        log.warning(f"PythonDepManager could not install {_names(deps)} ({exc}); using pip")
    importlib.invalidate_caches()


def _run_pip(command: list[str], names: str, timeout: float, log: StashLog) -> None:
    hint = f"Install them by running: {_shell(command)}"
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"Could not install {names} ({type(exc).__name__}). {hint}") from None
    if done.returncode != 0:
        tail = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()][-15:]
        for line in tail:
            log.debug(f"pip: {line}")
        reason = tail[-1].strip() if tail else f"exit status {done.returncode}"
        if "No module named pip" in (done.stderr or ""):
            hint = f"pip is missing: run {_shell([command[0]])} -m ensurepip first. {hint}"
        raise DependencyError(f"Installing {names} failed ({reason[:200]}). {hint}")


def _disable_yml(target: Path, log: StashLog) -> None:
    """Stash loads every *.yml under its plugins folder as a plugin: hide any a package ships."""
    for path in target.rglob("*.yml"):
        path.rename(path.with_name(path.name + ".disabled"))
        log.warning(f"Renamed {path.name} in the dependency folder so Stash does not load it")


def ensure_dependencies(
    plugin_dir: Path,
    data_dir: Path,
    log: StashLog,
    *,
    deps: Sequence[Dependency] = DEPENDENCIES,
    requirements: Path | None = None,
    python: str = sys.executable,
    pip_args: Sequence[str] = (),
    lock_timeout: float = LOCK_TIMEOUT_S,
    install_timeout: float = INSTALL_TIMEOUT_S,
    use_dep_manager: bool = True,
) -> None:
    """Return once every dependency imports; install them first if needed.

    Raises DependencyError (with the exact command to run) or LockTimeout.
    """
    target = deps_dir(data_dir)
    activate(target)
    if not missing_dependencies(deps):
        return
    requirements = requirements or Path(plugin_dir) / "requirements.txt"
    command = install_command(python, target, requirements, pip_args)
    if not requirements.is_file():
        raise DependencyError(
            f"Stash2Plex needs {_names(missing_dependencies(deps))} but {requirements} is "
            "missing: reinstall the plugin"
        )
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with FileLock(Path(data_dir) / LOCK_FILE, lock_timeout, "dependency installation"):
        importlib.invalidate_caches()
        activate(target)  # another process may have installed them while we waited
        need = missing_dependencies(deps)
        if not need:
            return
        if use_dep_manager:
            _try_dep_manager(need, requirements, log)
            need = missing_dependencies(deps)
            if not need:
                return
        log.info(f"Installing {_names(need)} into {target} (first run only; may take minutes)")
        target.mkdir(parents=True, exist_ok=True)
        _run_pip(command, _names(need), install_timeout, log)
        activate(target)
        importlib.invalidate_caches()
        _disable_yml(target, log)
        still = missing_dependencies(deps)
        if still:
            raise DependencyError(
                f"{_names(still)} still not importable after installing. "
                f"Install them by running: {_shell(command)}"
            )
        log.info(f"Installed {_names(need)}")
