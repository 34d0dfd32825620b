"""Build the installable plugin: dist/Stash2Plex.zip and dist/index.yml (a Stash plugin source).

The zip is built fresh from an explicit list of plugin files and packages, with the plugin
files at its root, deterministic entry order, timestamps and permissions, and without tests,
sandbox, caches or any extra `.yml` (Stash would try to load it as a plugin). index.yml is
the one-entry package list Stash's plugin manager reads (reference/stash.md §9).
Usage: python scripts/package.py [--out dist] [--version V] [--date "YYYY-MM-DD HH:MM:SS"]
       [--release-tag vX.Y.Z] [--url https://...]
A release build (`--release-tag`, the release workflow) refuses a tag other than
`v<base/about.py __version__>`: the version has that one home.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import runpy
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "PLUGIN_FILES",
    "PLUGIN_PACKAGES",
    "ZIP_NAME",
    "Build",
    "ReleaseTagMismatch",
    "build",
    "check_release_tag",
    "collect_files",
    "render_index",
]

ZIP_NAME = "Stash2Plex.zip"
INDEX_NAME = "index.yml"
MANIFEST_NAME = "Stash2Plex.yml"
PLUGIN_FILES = (
    "Stash2Plex.py",
    MANIFEST_NAME,
    "requirements.txt",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
)
PLUGIN_PACKAGES = (
    "base",
    "stash",
    "sync_queue",
    "validation",
    "plex",
    "runtime",
    "reconciliation",
    "worker",
    "doctor",
    "tasks",
    "plugin",
)
EXCLUDED_DIRS = frozenset(
    {"__pycache__", "tests", "test", "sandbox", "bench", "docs", "data", "deps", "dist"}
)
EXCLUDED_SUFFIXES = frozenset({".pyc", ".pyo", ".yml", ".yaml", ".tmp", ".orig", ".rej"})
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's epoch: identical input gives an identical archive


@dataclass(frozen=True)
class Build:
    zip_path: Path
    index_path: Path
    sha256: str
    version: str
    date: str
    files: list[str]


def _wanted(path: Path) -> bool:
    return (
        path.suffix.lower() not in EXCLUDED_SUFFIXES
        and not EXCLUDED_DIRS.intersection(path.parts)
        and not any(part.startswith(".") for part in path.parts)
    )


def collect_files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(source file, name in the zip) for every file shipped, sorted by name."""
    found: dict[str, Path] = {}
    for name in PLUGIN_FILES:
        if (root / name).is_file():
            found[name] = root / name
    for package in PLUGIN_PACKAGES:
        base = root / package
        if not base.is_dir():
            continue
        if not (base / "__init__.py").is_file():
            # A package without __init__.py would silently vanish from the zip.
            raise FileNotFoundError(f"plugin package {package!r} has no __init__.py")
        for path in base.rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and _wanted(relative):
                found[relative.as_posix()] = path
    return sorted(((path, name) for name, path in found.items()), key=lambda item: item[1])


class ReleaseTagMismatch(Exception):
    """A release tag that is not `v` + the plugin's version."""


def check_release_tag(tag: str, version: str) -> None:
    """Raise ReleaseTagMismatch unless `tag` is exactly `v<version>`."""
    if tag.strip() != f"v{version}":
        raise ReleaseTagMismatch(
            f"The tag {tag.strip()!r} does not match the plugin's version {version} "
            f"(base/about.py): tag the release v{version}, or change __version__ first."
        )


def _with_url(manifest: bytes, url: str) -> bytes:
    """The manifest with its `url:` line pointing at `url` (the publishing repository)."""
    text = manifest.decode("utf-8")
    line = f"url: {_q(url)}"
    text, count = re.subn(r"^url:.*$", line, text, count=1, flags=re.MULTILINE)
    if count == 0:
        raise SystemExit(f"{MANIFEST_NAME} has no url: line to set")
    return text.encode("utf-8")


def _zip_bytes(files: list[tuple[Path, str]], url: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            data = path.read_bytes()
            if url is not None and name == MANIFEST_NAME:
                data = _with_url(data, url)
            archive.writestr(info, data)
    return buffer.getvalue()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _plugin_metadata(root: Path) -> dict[str, object]:
    constants = runpy.run_path(str(root / "base" / "about.py"))
    manifest = (root / MANIFEST_NAME).read_text(encoding="utf-8")
    requires_match = re.search(r"^#\s*requires:\s*(.+)$", manifest, flags=re.MULTILINE)
    requires = (
        [r.strip() for r in requires_match.group(1).split(",") if r.strip()]
        if requires_match
        else []
    )
    return {
        "id": constants["PLUGIN_ID"],
        "name": constants["PLUGIN_NAME"],
        "description": constants["PLUGIN_DESCRIPTION"],
        "version": constants["__version__"],
        "requires": requires,
    }


def _build_date(root: Path) -> str:
    """UTC build date: SOURCE_DATE_EPOCH, else the last commit's time, else now.

    Stash detects updates by comparing only this date.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or _git(root, "log", "-1", "--format=%ct")
    moment = (
        datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        if epoch and epoch.isdigit()
        else datetime.now(timezone.utc)
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render_index(
    meta: dict[str, object], *, version: str, date: str, path: str, sha256: str
) -> str:
    """index.yml: a YAML list with this plugin's one entry."""
    requires = meta["requires"]
    assert isinstance(requires, list)
    lines = [
        f"- id: {meta['id']}",
        f"  name: {_q(str(meta['name']))}",
        "  metadata:",
        f"    description: {_q(str(meta['description']))}",
        f"  version: {_q(version)}",
        f"  date: {_q(date)}",
        f"  path: {_q(path)}",
        f"  sha256: {sha256}",
        "  requires: [" + ", ".join(_q(str(r)) for r in requires) + "]",
    ]
    return "\n".join(lines) + "\n"


def build(
    root: Path = ROOT,
    out_dir: Path | None = None,
    *,
    version: str | None = None,
    date: str | None = None,
    url: str | None = None,
) -> Build:
    """Write a fresh zip and index.yml into `out_dir` (default `<root>/dist`); `url` replaces
    the manifest's `url:` inside the zip."""
    out_dir = Path(out_dir) if out_dir is not None else root / "dist"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = collect_files(root)
    if not any(name == MANIFEST_NAME for _, name in files):
        raise SystemExit(f"{MANIFEST_NAME} is missing in {root}")
    data = _zip_bytes(files, url)
    zip_path = out_dir / ZIP_NAME
    tmp = zip_path.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, zip_path)  # never an update of an older archive in place
    sha256 = hashlib.sha256(data).hexdigest()
    meta = _plugin_metadata(root)
    if version is None:
        commit = _git(root, "rev-parse", "--short", "HEAD")
        version = f"{meta['version']}-{commit}" if commit else str(meta["version"])
    date = date or _build_date(root)
    index_path = out_dir / INDEX_NAME
    index_path.write_text(
        render_index(meta, version=version, date=date, path=ZIP_NAME, sha256=sha256),
        encoding="utf-8",
        newline="\n",
    )
    return Build(zip_path, index_path, sha256, version, date, [name for _, name in files])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--version", help="index version (default: manifest version-commit)")
    parser.add_argument("--date", help='UTC "YYYY-MM-DD HH:MM:SS" (default: last commit)')
    parser.add_argument("--release-tag", help="a release: must be v<version>; index version = it")
    parser.add_argument("--url", help="the manifest url: written into the zip")
    args = parser.parse_args(argv)
    version = args.version
    if args.release_tag is not None:
        plugin_version = str(_plugin_metadata(ROOT)["version"])
        try:
            check_release_tag(args.release_tag, plugin_version)
        except ReleaseTagMismatch as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        version = version or plugin_version
    result = build(ROOT, args.out, version=version, date=args.date, url=args.url)
    sys.stdout.write(
        f"{result.zip_path} ({len(result.files)} files, sha256 {result.sha256})\n"
        f"{result.index_path} (version {result.version}, date {result.date})\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
