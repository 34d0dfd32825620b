"""Path normalisation, path-style detection, basenames and folders: the one owner of path keys.

`normalize` produces the comparison key of plex.md §6 (NFC; Windows-style: `\\` -> `/` and
casefold; duplicate separators collapsed; trailing separators stripped; POSIX: backslashes kept,
exact case). Original strings are never replaced by keys: scans and messages use Plex's form.
No symlink or `..` resolution (Plex stores the path it scanned). `path_map` prefix rewriting
lives in `validation.path_map` (applied before these keys are computed). Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from validation.path_map import is_windows_path  # one definition, used by both layers

__all__ = [
    "PathStyle",
    "basename_of",
    "detect_style",
    "is_under",
    "is_windows_path",
    "normalize",
    "parent_folder",
]

_MULTI_SEP_RE = re.compile(r"/{2,}")
_DRIVE_ROOT_RE = re.compile(r"^[^/]:/$")
_MACOS_PLATFORMS = frozenset({"macosx", "macos", "darwin", "osx"})


@dataclass(frozen=True)
class PathStyle:
    """How one Plex server spells paths: Windows separators, case-insensitive comparison."""

    windows: bool = False
    fold_case: bool = False

    @property
    def sep(self) -> str:
        return "\\" if self.windows else "/"


def detect_style(locations: Iterable[str], platform: str | None = None) -> PathStyle:
    """Path style from the sections' `Location` paths (and optionally PMS's `platform`).

    Any drive letter or UNC location -> Windows (case-insensitive). macOS (platform hint, or a
    `/Volumes/` location) -> POSIX separators but case-insensitive, as APFS/HFS+ default to.
    """
    locs = [loc for loc in locations if loc]
    if any(is_windows_path(loc) for loc in locs):
        return PathStyle(windows=True, fold_case=True)
    macos = (platform or "").strip().lower() in _MACOS_PLATFORMS or any(
        loc.startswith("/Volumes/") for loc in locs
    )
    return PathStyle(windows=False, fold_case=macos)


def normalize(path: str, windows: bool, *, fold_case: bool | None = None) -> str:
    """Comparison key of a file or folder path (see module docstring).

    `fold_case` defaults to `windows`; pass True for macOS-style POSIX libraries.
    """
    key = path if unicodedata.is_normalized("NFC", path) else unicodedata.normalize("NFC", path)
    if windows:
        key = key.replace("\\", "/")
    unc = windows and key.startswith("//")
    if "//" in key:
        key = _MULTI_SEP_RE.sub("/", key)
    if unc:
        key = "/" + key  # keep the UNC marker: `\\srv\share` is not `\srv\share`
    while len(key) > 1 and key.endswith("/") and not _DRIVE_ROOT_RE.match(key):
        key = key[:-1]
    if windows if fold_case is None else fold_case:
        # casefold() may emit decomposed sequences; recompose so equal names key alike.
        key = unicodedata.normalize("NFC", key.casefold())
    return key


def _strip_trailing(path: str, windows: bool) -> str:
    seps = "\\/" if windows else "/"
    stripped = path.rstrip(seps)
    if not stripped:
        return path[:1]  # the root itself
    if windows and re.fullmatch(r"[A-Za-z]:", stripped):
        return path[:3]  # `C:\` stays a root
    return stripped


def basename_of(path: str, windows: bool) -> str:
    """Last component of `path` as spelt there (trailing separators ignored)."""
    stripped = _strip_trailing(path, windows)
    cut = max(stripped.rfind("/"), stripped.rfind("\\")) if windows else stripped.rfind("/")
    return stripped[cut + 1 :] if cut >= 0 else stripped


def parent_folder(path: str, windows: bool) -> str:
    """Folder containing `path`, in the path's own syntax (Plex's form for scan requests)."""
    stripped = _strip_trailing(path, windows)
    cut = max(stripped.rfind("/"), stripped.rfind("\\")) if windows else stripped.rfind("/")
    if cut < 0:
        return ""
    parent = stripped[:cut]
    if windows and re.fullmatch(r"[A-Za-z]:", parent):
        return stripped[: cut + 1]  # `C:\a.mkv` -> `C:\`
    return parent or stripped[:1]  # `/a.mkv` -> `/`


def is_under(path: str, folder: str, windows: bool, *, fold_case: bool | None = None) -> bool:
    """True when `path` is `folder` or inside it (prefix test at a separator boundary)."""
    p = normalize(path, windows, fold_case=fold_case)
    f = normalize(folder, windows, fold_case=fold_case)
    if p == f:
        return True
    return p.startswith(f) if f.endswith("/") else p.startswith(f + "/")
