"""Make the task path's packages importable: check them, install them once, or say how.

Tasks only, never hooks (hooks need nothing but the standard library). Missing packages are
installed from the pinned `requirements.txt` into the plugin's own data folder
(`pip install --target`, with the interpreter Stash runs, under a cross-process lock),
through PythonDepManager when that plugin is present. `--target` sidesteps PEP 668, so
`--break-system-packages` is never used. On failure: one line with the exact command.

Each install goes into a fresh folder and is pointed to only once verified
(`plugin.deps_folders`), so a SIGKILL at any instant, even with the orphaned pip still
writing, leaves the folder tasks use intact. The command shown after a failure installs into
`deps_dir` (`data/deps/<tag>`, also where installs before the pointer went); a task that
finds the packages complete there adopts that folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from base.errors import DependencyError
from plugin.deps_folders import (
    current_folder,
    deps_root,
    interpreter_tag,
    new_folder,
    point_to,
    remove_unused,
)
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
    """The folder a hand-run install goes to (the command a failure shows), per interpreter
    and platform (compiled wheels differ per ABI); a task adopts it once it is complete."""
    return deps_root(data_dir) / interpreter_tag()


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
    python: str,
    target: Path,
    requirements: Path,
    pip_args: Sequence[str] = (),
    installer: Sequence[str] | None = None,
) -> list[str]:
    """pip's command line; `installer` replaces `python -m pip install <flags>` (tests)."""
    head = installer or [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--upgrade",
    ]
    return [*head, "--target", str(target), *pip_args, "-r", str(requirements)]


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


def _run_pip(
    command: list[str], names: str, timeout: float, log: StashLog, by_hand: list[str]
) -> None:
    hint = f"Install them by running: {_shell(by_hand)}"
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
            hint = f"pip is missing: run {_shell([by_hand[0]])} -m ensurepip first. {hint}"
        raise DependencyError(f"Installing {names} failed ({reason[:200]}). {hint}")


def _disable_yml(target: Path, log: StashLog) -> None:
    """Stash loads every *.yml under its plugins folder as a plugin: hide any a package ships."""
    for path in target.rglob("*.yml"):
        path.rename(path.with_name(path.name + ".disabled"))
        log.warning(f"Renamed {path.name} in the dependency folder so Stash does not load it")


def _not_from(folder: Path, deps: Sequence[Dependency]) -> list[Dependency]:
    """Packages that do not import from `folder` (missing, or found elsewhere first)."""
    root = os.path.normcase(os.path.realpath(folder)) + os.sep
    strays = []
    for dep in deps:
        spec = importlib.util.find_spec(dep.import_name)
        places = [spec.origin] if spec is not None and spec.origin else []
        if spec is not None and spec.submodule_search_locations:
            places += list(spec.submodule_search_locations)
        if not any(os.path.normcase(os.path.realpath(p)).startswith(root) for p in places):
            strays.append(dep)
    return strays


def _deactivate(folder: Path) -> None:
    entry = str(folder)
    while entry in sys.path:
        sys.path.remove(entry)
    importlib.invalidate_caches()


def _adopt(data_dir: Path, folder: Path, deps: Sequence[Dependency]) -> bool:
    """Use `folder` (a hand-run or earlier install) if every package imports from it."""
    if not folder.is_dir():
        return False
    activate(folder)
    importlib.invalidate_caches()
    if missing_dependencies(deps) or _not_from(folder, deps):
        _deactivate(folder)
        return False
    point_to(data_dir, folder)
    return True


def _tidy(data_dir: Path, log: StashLog) -> None:
    try:
        removed = remove_unused(data_dir)
    except OSError as exc:
        log.debug(f"dependency folders not tidied: {exc}")
        return
    if removed:
        log.debug(f"removed unused dependency folders: {', '.join(removed)}")


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
    installer: Sequence[str] | None = None,
) -> None:
    """Return once every dependency imports; install them first if needed.

    `installer`: a command replacing `python -m pip install` (tests' stub installers).
    Raises DependencyError (with the exact command to run) or LockTimeout.
    """
    data_dir = Path(data_dir)
    current = current_folder(data_dir)
    if current is not None:
        activate(current)
    if not missing_dependencies(deps):
        _tidy(data_dir, log)
        return
    requirements = requirements or Path(plugin_dir) / "requirements.txt"
    by_hand = install_command(python, deps_dir(data_dir), requirements, pip_args, installer)
    data_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(data_dir / LOCK_FILE, lock_timeout, "dependency installation"):
        importlib.invalidate_caches()
        current = current_folder(data_dir)  # another process may have installed meanwhile
        if current is not None:
            activate(current)
        need = missing_dependencies(deps)
        if not need or _adopt(data_dir, deps_dir(data_dir), deps):
            return
        if not requirements.is_file():
            raise DependencyError(
                f"Stash2Plex needs {_names(need)} but {requirements} is missing: reinstall "
                "the plugin"
            )
        if use_dep_manager:
            _try_dep_manager(need, requirements, log)
            need = missing_dependencies(deps)
            if not need:
                return
        _install(
            data_dir,
            requirements,
            need,
            deps,
            log,
            by_hand,
            install_timeout,
            python,
            pip_args,
            installer,
        )


def _install(
    data_dir: Path,
    requirements: Path,
    need: Sequence[Dependency],
    deps: Sequence[Dependency],
    log: StashLog,
    by_hand: list[str],
    install_timeout: float,
    python: str,
    pip_args: Sequence[str],
    installer: Sequence[str] | None,
) -> None:
    """Install into a fresh folder; point to it only once every package imports from it."""
    target = new_folder(data_dir, requirements.read_bytes())
    command = install_command(python, target, requirements, pip_args, installer)
    log.info(f"Installing {_names(need)} into {target} (first run only; may take minutes)")
    try:
        _run_pip(command, _names(need), install_timeout, log, by_hand)
        _disable_yml(target, log)
        activate(target)
        importlib.invalidate_caches()
        still = missing_dependencies(deps) or _not_from(target, need)
        if still:
            raise DependencyError(
                f"{_names(still)} still not importable after installing. "
                f"Install them by running: {_shell(by_hand)}"
            )
    except BaseException:
        _deactivate(target)
        shutil.rmtree(target, ignore_errors=True)  # never pointed to: no task uses it
        raise
    point_to(data_dir, target)
    log.info(f"Installed {_names(need)}")
