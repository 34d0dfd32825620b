"""Dependency bootstrap: real pip installs from a local wheel, failures, the lock, versions."""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from base.errors import DependencyError, LockTimeout
from plugin.deps import (
    DEPENDENCIES,
    Dependency,
    deps_dir,
    ensure_dependencies,
    missing_dependencies,
    read_pins,
)
from plugin.deps_folders import current_folder, interpreter_tag
from plugin.filelock import FileLock
from sandbox.harness import REPO_ROOT, parse_stderr
from stash.log import StashLog

FAKE = Dependency("s2p_fake_dep", "s2p-fake-dep", "1.0", "2")


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path, version: str = "1.0") -> Path:
    """A minimal pure-Python wheel (with a stray .yml, as some packages ship)."""
    info = f"s2p_fake_dep-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: s2p-fake-dep\nVersion: {version}\n"
    files = {
        "s2p_fake_dep/__init__.py": f"VALUE = {version!r}\n".encode(),
        "s2p_fake_dep/data.yml": b"name: not a plugin\n",
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / f"s2p_fake_dep-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def isolated_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """sys.path and the fake module restored after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop("s2p_fake_dep", None)
    importlib.invalidate_caches()


@pytest.fixture
def pip_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pip sees only what the test offers: no index, no configured wheel folders."""
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "no-pip.conf"))
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)


def _log() -> tuple[StashLog, io.BytesIO]:
    stream = io.BytesIO()
    return StashLog(stream), stream  # type: ignore[arg-type]


def test_missing_dependency_is_installed_into_the_data_folder(
    tmp_path: Path, isolated_path: None, pip_env: None
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("s2p-fake-dep==1.0\n")
    data_dir = tmp_path / "data"
    log, stream = _log()
    assert missing_dependencies([FAKE]) == [FAKE]
    ensure_dependencies(
        tmp_path,
        data_dir,
        log,
        deps=[FAKE],
        requirements=requirements,
        pip_args=["--no-index", "--find-links", str(wheels)],
        use_dep_manager=False,
    )
    target = current_folder(data_dir)  # a fresh folder, named by the pointer once verified
    assert target is not None and target.parent == data_dir / "deps"
    assert target.name.startswith(interpreter_tag() + "-") and target != deps_dir(data_dir)
    assert missing_dependencies([FAKE]) == []
    assert importlib.import_module("s2p_fake_dep").VALUE == "1.0"
    assert importlib.import_module("s2p_fake_dep").__file__.startswith(str(target) + os.sep)
    assert sys.path[1] == str(target)
    # Stash would try to load any *.yml under its plugins folder as a plugin.
    assert list(target.rglob("*.yml")) == []
    assert (target / "s2p_fake_dep" / "data.yml.disabled").is_file()
    messages = [line.message for line in parse_stderr(stream.getvalue())[0]]
    assert messages[0].startswith("Installing s2p-fake-dep into ")
    assert "Installed s2p-fake-dep" in messages


def test_installed_dependencies_are_reused_without_pip(tmp_path: Path, isolated_path: None) -> None:
    data_dir = tmp_path / "data"
    target = deps_dir(data_dir)
    (target / "s2p_fake_dep").mkdir(parents=True)
    (target / "s2p_fake_dep" / "__init__.py").write_text("VALUE = 'vendored'\n")
    log, stream = _log()
    # No requirements file exists: any install attempt would fail loudly.
    ensure_dependencies(tmp_path, data_dir, log, deps=[FAKE], requirements=tmp_path / "none.txt")
    assert importlib.import_module("s2p_fake_dep").VALUE == "vendored"
    assert stream.getvalue() == b""
    assert current_folder(data_dir) == target  # adopted: the pointer names it from now on


def test_failed_install_gives_one_line_with_the_exact_command(
    tmp_path: Path, isolated_path: None, pip_env: None
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("s2p-fake-dep==1.0\n")
    log, _ = _log()
    with pytest.raises(DependencyError) as raised:
        ensure_dependencies(
            tmp_path,
            tmp_path / "data",
            log,
            deps=[FAKE],
            requirements=requirements,
            pip_args=["--no-index", "--find-links", str(empty)],
            use_dep_manager=False,
        )
    message = str(raised.value)
    assert "\n" not in message and message.startswith("Installing s2p-fake-dep failed (")
    expected = (
        f"{sys.executable} -m pip install --disable-pip-version-check --no-input --upgrade "
        f"--target {deps_dir(tmp_path / 'data')} --no-index --find-links {empty} "
        f"-r {requirements}"
    )
    assert message.endswith(f"Install them by running: {expected}")
    assert "--break-system-packages" not in message


def test_missing_requirements_file_says_reinstall(tmp_path: Path) -> None:
    log, _ = _log()
    with pytest.raises(DependencyError, match=r"requirements\.txt is missing: reinstall"):
        ensure_dependencies(tmp_path, tmp_path / "data", log, deps=[FAKE])


def test_a_held_lock_times_out_instead_of_waiting_forever(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("s2p-fake-dep==1.0\n")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log, _ = _log()
    with FileLock(data_dir / "deps.lock", timeout=0), pytest.raises(LockTimeout) as raised:
        ensure_dependencies(
            tmp_path, data_dir, log, deps=[FAKE], requirements=requirements, lock_timeout=0.2
        )
    assert "dependency installation is busy" in str(raised.value)


def test_file_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    first = FileLock(path, timeout=0)
    with first:
        assert first.held
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0).acquire()
    assert not first.held
    with FileLock(path, timeout=0) as again:
        assert again.held


def test_version_ranges_are_checked() -> None:
    too_new = Dependency("pydantic", "pydantic", "2.6", "2.7")
    assert missing_dependencies([too_new]) == [too_new]
    present = Dependency("pydantic", "pydantic", "2.6", "3")
    assert missing_dependencies([present]) == []


def test_dependency_table_matches_requirements_and_pyproject() -> None:
    pins = read_pins(REPO_ROOT / "requirements.txt")
    assert {d.dist_name.lower() for d in DEPENDENCIES} == set(pins)
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for dep in DEPENDENCIES:
        match = re.search(rf'"{re.escape(dep.dist_name)}>=([\d.]+),<([\d.]+)"', pyproject)
        assert match, dep.dist_name
        assert (dep.minimum, dep.below) == match.groups()
    assert missing_dependencies() == []  # the dev environment has every pinned package


FAKE_DEP_MANAGER = '''
"""Stand-in for the PythonDepManager plugin: records the specs, then installs or fails."""
import json, os, sys

def ensure_import(*specs):
    with open(os.environ["S2P_PDM_LOG"], "a") as log:
        log.write(json.dumps(specs) + "\\n")
    if os.environ.get("S2P_PDM_FAIL"):
        raise RuntimeError("git not found")
    target = os.environ["S2P_PDM_TARGET"]
    os.makedirs(os.path.join(target, "s2p_fake_dep"), exist_ok=True)
    with open(os.path.join(target, "s2p_fake_dep", "__init__.py"), "w") as module:
        module.write("VALUE = 'from PythonDepManager'\\n")
    sys.path.insert(0, target)
'''


@pytest.fixture
def dep_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_path: None
) -> Iterator[Path]:
    """A PythonDepManager importable as a sibling plugin; returns its call log."""
    sibling = tmp_path / "plugins"
    (sibling / "PythonDepManager").mkdir(parents=True)
    (sibling / "PythonDepManager" / "__init__.py").write_text(FAKE_DEP_MANAGER)
    sys.path.append(str(sibling))
    monkeypatch.setenv("S2P_PDM_LOG", str(tmp_path / "pdm.log"))
    monkeypatch.setenv("S2P_PDM_TARGET", str(tmp_path / "py_dependencies"))
    yield tmp_path / "pdm.log"
    sys.modules.pop("PythonDepManager", None)


def test_python_dep_manager_is_used_when_present(tmp_path: Path, dep_manager: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pinned\ns2p-fake-dep==1.0  # comment\nother==2\n")
    log, stream = _log()
    ensure_dependencies(tmp_path, tmp_path / "data", log, deps=[FAKE], requirements=requirements)
    assert dep_manager.read_text().splitlines() == ['["s2p_fake_dep:s2p-fake-dep==1.0"]']
    assert importlib.import_module("s2p_fake_dep").VALUE == "from PythonDepManager"
    assert stream.getvalue() == b""  # pip never ran


def test_a_failing_dep_manager_falls_back_to_pip(
    tmp_path: Path, dep_manager: Path, pip_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S2P_PDM_FAIL", "1")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("s2p-fake-dep==1.0\n")
    log, stream = _log()
    ensure_dependencies(
        tmp_path,
        tmp_path / "data",
        log,
        deps=[FAKE],
        requirements=requirements,
        pip_args=["--no-index", "--find-links", str(wheels)],
    )
    assert importlib.import_module("s2p_fake_dep").VALUE == "1.0"
    messages = [line.message for line in parse_stderr(stream.getvalue())[0]]
    assert messages[0] == (
        "PythonDepManager could not install s2p-fake-dep (git not found); using pip"
    )
