"""The plugin source users install from: the workflows, the release build and what Stash reads.

The release workflow's own build command is run here, as GitHub would run it, and its
`dist/` is read the way Stash's package manager reads a source (pkg/pkg: index fields, the
zip at `path` whose SHA-256 must match, plugin files at the zip's root).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import yaml

from base.about import PLUGIN_ID, PLUGIN_NAME, __version__
from sandbox.harness import REPO_ROOT
from scripts.package import ZIP_NAME, ReleaseTagMismatch, check_release_tag

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# pkg/pkg RemotePackage: the fields Stash reads from each entry of index.yml.
INDEX_FIELDS = {"id", "name", "metadata", "version", "date", "path", "sha256", "requires"}
STASH_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # pkg/pkg TimeFormat, UTC
PUBLISHED_FROM = "https://github.invalid/someone/stash2plex"


def _workflow(name: str) -> dict:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), name
    # YAML 1.1 reads the bare key `on` as True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _package_step(workflow: dict) -> str:
    runs = [s["run"] for s in _steps(workflow) if "scripts/package.py" in s.get("run", "")]
    assert len(runs) == 1, "the release workflow builds with scripts/package.py exactly once"
    return runs[0]


def _run_release_build(tmp_path: Path, tag: str) -> subprocess.CompletedProcess[str]:
    """The workflow's build command in a checkout-like folder, with GitHub's variables."""
    command = _package_step(_workflow("release.yml"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (tmp_path / "scripts").symlink_to(REPO_ROOT / "scripts")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_REF_NAME": tag,
        "GITHUB_SERVER_URL": PUBLISHED_FROM.rsplit("/", 2)[0],
        "GITHUB_REPOSITORY": "/".join(PUBLISHED_FROM.rsplit("/", 2)[1:]),
        "SOURCE_DATE_EPOCH": "1767225600",
    }
    return subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def test_ci_workflow_runs_make_test() -> None:
    ci = _workflow("ci.yml")
    assert "push" in ci["on"] and "pull_request" in ci["on"]
    runs = [s.get("run", "") for s in _steps(ci)]
    assert any(run.split()[:2] == ["make", "test"] for run in runs), runs


def test_release_workflow_builds_on_version_tags_and_publishes_dist_to_pages() -> None:
    release = _workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    command = _package_step(release)
    assert '--release-tag "${GITHUB_REF_NAME}"' in command and "--out dist" in command
    uploads = [s for s in _steps(release) if s.get("uses", "").startswith("actions/upload-pages")]
    assert [s["with"]["path"] for s in uploads] == ["dist"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in _steps(release))


def test_the_tag_check_accepts_only_v_plus_the_version() -> None:
    check_release_tag(f"v{__version__}", __version__)
    for wrong in (__version__, f"v{__version__}.1", "v0.0.0-rc1", f"V{__version__}"):
        try:
            check_release_tag(wrong, __version__)
        except ReleaseTagMismatch as exc:
            assert wrong in str(exc) and __version__ in str(exc)
        else:
            raise AssertionError(f"tag {wrong!r} was accepted for version {__version__}")


def test_the_release_build_gives_a_source_stash_can_install(tmp_path: Path) -> None:
    done = _run_release_build(tmp_path, f"v{__version__}")
    assert done.returncode == 0, done.stderr
    dist = tmp_path / "dist"
    entries = yaml.safe_load((dist / "index.yml").read_text(encoding="utf-8"))
    assert isinstance(entries, list) and len(entries) == 1
    entry = entries[0]
    assert set(entry) == INDEX_FIELDS
    assert (entry["id"], entry["name"], entry["version"]) == (PLUGIN_ID, PLUGIN_NAME, __version__)
    assert datetime.strptime(entry["date"], STASH_TIME_FORMAT).year == 2026
    assert entry["requires"] == []
    archive_path = dist / entry["path"]
    assert entry["path"] == ZIP_NAME
    assert hashlib.sha256(archive_path.read_bytes()).hexdigest() == entry["sha256"]
    with zipfile.ZipFile(archive_path) as archive:
        names = set(archive.namelist())
        manifest = yaml.safe_load(archive.read(f"{PLUGIN_ID}.yml"))
    # Files at the root: Stash unpacks the zip into the plugin's own folder.
    assert {f"{PLUGIN_ID}.py", f"{PLUGIN_ID}.yml", "LICENSE", "CHANGELOG.md"} <= names
    assert manifest["version"] == __version__ and manifest["url"] == PUBLISHED_FROM


def test_a_tag_other_than_the_version_is_refused_with_one_line(tmp_path: Path) -> None:
    done = _run_release_build(tmp_path, "v99.0.0")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "v99.0.0" in done.stderr
    assert not (tmp_path / "dist" / "index.yml").exists()


def test_license_and_changelog_are_there() -> None:
    license_text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in license_text and "Version 3" in license_text
    assert 'license = "AGPL-3.0-or-later"' in (REPO_ROOT / "pyproject.toml").read_text("utf-8")
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {__version__}" in changelog
