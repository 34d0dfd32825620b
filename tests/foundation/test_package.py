"""Packaging: a fresh zip with plugin files at its root, and an index.yml that agrees with it."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import yaml

from base.about import PLUGIN_DESCRIPTION
from sandbox.harness import REPO_ROOT, PluginHarness
from scripts.package import ZIP_NAME, build
from tests.foundation.conftest import SESSION_COOKIE

DATE = "2026-01-02 03:04:05"


def _source_tree(root: Path) -> Path:
    """A copy of the plugin with the junk a working tree accumulates."""
    root.mkdir(parents=True)
    for name in ("Stash2Plex.py", "Stash2Plex.yml", "requirements.txt"):
        shutil.copy(REPO_ROOT / name, root / name)
    for package in ("plugin", "base"):
        shutil.copytree(REPO_ROOT / package, root / package, ignore=shutil.ignore_patterns("__py*"))
    junk = [
        "plugin/__pycache__/app.cpython-311.pyc",
        "plugin/tests/test_inside.py",
        "plugin/fixture.yml",
        "plugin/.editor-backup.py",
        "tests/test_x.py",
        "sandbox/harness.py",
        "bench/b.py",
        "docs/x.md",
        "data/settings_snapshot.json",
        "notes.yml",
    ]
    for name in junk:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("junk\n")
    return root


def test_zip_has_plugin_files_at_root_and_nothing_else(tmp_path: Path) -> None:
    root = _source_tree(tmp_path / "src")
    out = tmp_path / "dist"
    out.mkdir()
    with zipfile.ZipFile(out / ZIP_NAME, "w") as stale:
        stale.writestr("plugin/removed_module.py", "old")
    result = build(root, out, version="0.1.0-test", date=DATE)
    with zipfile.ZipFile(result.zip_path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert {
        "Stash2Plex.py",
        "Stash2Plex.yml",
        "requirements.txt",
        "plugin/__init__.py",
        "base/about.py",
    } <= set(names)
    assert "plugin/removed_module.py" not in names  # built fresh, never updated in place
    assert names == sorted(names) and names == result.files
    assert [n for n in names if n.endswith((".yml", ".yaml"))] == ["Stash2Plex.yml"]
    for name in names:
        parts = name.split("/")
        assert parts[0] in {"Stash2Plex.py", "Stash2Plex.yml", "requirements.txt", "plugin", "base"}
        assert "__pycache__" not in parts and "tests" not in parts
        assert not any(part.startswith(".") for part in parts) and not name.endswith(".pyc")
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_build_is_deterministic(tmp_path: Path) -> None:
    root = _source_tree(tmp_path / "src")
    first = build(root, tmp_path / "a", version="v", date=DATE)
    second = build(root, tmp_path / "b", version="v", date=DATE)
    assert first.sha256 == second.sha256
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()


def test_index_yml_agrees_with_the_zip_and_the_manifest(tmp_path: Path) -> None:
    result = build(REPO_ROOT, tmp_path, date=DATE)
    entries = yaml.safe_load(result.index_path.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and len(entries) == 1
    entry = entries[0]
    assert set(entry) == {"id", "name", "metadata", "version", "date", "path", "sha256", "requires"}
    manifest = yaml.safe_load((REPO_ROOT / "Stash2Plex.yml").read_text(encoding="utf-8"))
    assert entry["id"] == "Stash2Plex" and entry["name"] == manifest["name"]
    assert entry["metadata"] == {"description": PLUGIN_DESCRIPTION}
    assert entry["metadata"]["description"] == manifest["description"]
    assert entry["version"].startswith(manifest["version"])
    assert entry["date"] == DATE
    assert entry["path"] == ZIP_NAME and (tmp_path / entry["path"]).is_file()
    assert entry["sha256"] == hashlib.sha256(result.zip_path.read_bytes()).hexdigest()
    assert entry["requires"] == []


def test_default_date_is_utc_in_stash_format(tmp_path: Path) -> None:
    result = build(REPO_ROOT, tmp_path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", result.date)


def test_the_zip_installs_and_runs_a_hook(tmp_path: Path) -> None:
    result = build(REPO_ROOT, tmp_path / "dist", date=DATE)
    plugin_dir = tmp_path / "plugins" / "community" / "Stash2Plex"
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(plugin_dir)
    harness = PluginHarness(plugin_dir=plugin_dir, session_cookie=SESSION_COOKIE)
    run = harness.run_hook("Scene.Create.Post", 7)
    assert run.exit_code == 0 and run.output == {"hook": "Scene.Create.Post", "scene_ids": [7]}


def test_every_shipped_module_imports_from_the_unpacked_zip(tmp_path: Path) -> None:
    """A package left out of the zip (or a module importing one) fails here, not in Stash."""
    import subprocess
    import sys

    from scripts.package import PLUGIN_PACKAGES

    result = build(REPO_ROOT, tmp_path / "dist", date=DATE)
    plugin_dir = tmp_path / "Stash2Plex"
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(plugin_dir)
        names = archive.namelist()
    for package in PLUGIN_PACKAGES:
        assert f"{package}/__init__.py" in names
    modules = sorted(
        name[:-3].replace("/", ".").removesuffix(".__init__")
        for name in names
        if name.endswith(".py") and "/" in name
    )
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{str(plugin_dir)!r}]\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        f"    assert module.__file__.startswith({str(plugin_dir)!r}), name\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *modules],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
