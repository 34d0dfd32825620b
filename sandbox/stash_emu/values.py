"""Value formats of the Stash emulator: RFC3339 timestamps, file paths, folders, side fields.

Stash renders times as RFC3339 text with the server's offset and compares them as text; file
paths are split into folder and basename in the host's own syntax. The model lacks a few
Stash fields (scene code, tag parents, ...): `Extras` keeps them beside the model.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import lru_cache

# Stands in for timestamps the model does not store (entity created_at, folder mod_time).
DEFAULT_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)

_OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def parse_offset(text: str) -> timezone:
    """'Z' or '+HH:MM' / '-HH:MM' -> a fixed-offset timezone."""
    if text in ("Z", "z", ""):
        return timezone.utc
    match = _OFFSET_RE.match(text)
    if match is None:
        raise ValueError(f"invalid UTC offset {text!r}: use 'Z' or '+HH:MM'")
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


class TimeFormatter:
    """RFC3339 at second precision, as Go's time.RFC3339 prints it (zero offset -> 'Z').

    By default every timestamp is shown in the server's zone. With `keep_offsets` a
    timestamp keeps the offset it carries (what Stash does: each row keeps the offset it was
    written with, so DST changes the suffix of newer rows only).
    """

    def __init__(self, tz: timezone, keep_offsets: bool = False) -> None:
        self.tz = tz
        self.keep_offsets = keep_offsets
        # Keyed by object identity (checked), much cheaper than hashing a datetime: sorting or
        # filtering 50,000 scenes by a timestamp formats every one of them per request.
        by_id: dict[int, tuple[datetime, str]] = {}
        slow = self._format

        def text(value: datetime | None) -> str | None:
            if value is None:
                return None
            entry = by_id.get(id(value))
            if entry is not None and entry[0] is value:
                return entry[1]
            formatted = slow(value)
            if len(by_id) > 500_000:
                by_id.clear()
            by_id[id(value)] = (value, formatted)
            return formatted

        self.text = text  # a plain function: hot loops call it instead of the instance

    def __call__(self, value: datetime | None) -> str | None:
        return self.text(value)

    def _format(self, value: datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if not self.keep_offsets:
            value = value.astimezone(self.tz)
        offset = value.utcoffset() or timedelta(0)
        base = value.strftime("%Y-%m-%dT%H:%M:%S")
        if offset == timedelta(0):
            return base + "Z"
        total = int(offset.total_seconds()) // 60
        sign = "-" if total < 0 else "+"
        hours, minutes = divmod(abs(total), 60)
        return f"{base}{sign}{hours:02d}:{minutes:02d}"


def unix_seconds(value: datetime | None) -> int:
    value = value or DEFAULT_TIME
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_DRIVE_ROOT_RE = re.compile(r"^[A-Za-z]:\\?$")
_UNC_ROOT_RE = re.compile(r"^\\\\[^\\]+\\[^\\]+\\?$")


def path_separator(path: str) -> str:
    """The separator of the host that wrote `path` (drive letters and UNC mean Windows)."""
    return "\\" if path.startswith("\\\\") or _DRIVE_RE.match(path) else "/"


@lru_cache(maxsize=262_144)
def split_path(path: str) -> tuple[str, str]:
    """(folder path, basename) the way Stash stores a file (cached: sorts call it per row)."""
    sep = path_separator(path)
    folder, found, base = path.rpartition(sep)
    if not found:
        return "", path
    if folder == "":
        folder = sep
    elif _DRIVE_RE.match(folder) and len(folder) == 2:
        folder += sep
    return folder, base


def parent_folder_path(folder: str) -> str | None:
    """The folder containing `folder`, or None at a root ('/', 'C:\\', '\\\\srv\\share')."""
    if folder in ("", "/") or _DRIVE_ROOT_RE.match(folder) or _UNC_ROOT_RE.match(folder):
        return None
    parent, _ = split_path(folder.rstrip(path_separator(folder)))
    return parent or None


def oshash(path: str, size: int) -> str:
    """A stable stand-in for the file's oshash (16 hex digits)."""
    return hashlib.sha1(f"{path}\x00{size}".encode()).hexdigest()[:16]


class FolderRegistry:
    """Folder ids, handed out on first sight of a folder path (Stash keeps a folders table)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def id_for(self, path: str) -> int:
        found = self._ids.get(path)
        if found is not None:
            return found
        with self._lock:
            return self._ids.setdefault(path, len(self._ids) + 1)


# ---------------------------------------------------------------------------------------------
# Fields the model does not carry
# ---------------------------------------------------------------------------------------------


class Extras:
    """Per-object values of Stash fields that `sandbox.model` has no attribute for.

    Keyed by (kind, id), kind one of scene/performer/studio/tag/group. Mutations store any
    input member the model cannot hold here, so a later read returns it, as Stash would.
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, int], dict[str, object]] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, obj_id: int, key: str, default: object = None) -> object:
        values = self._data.get((kind, obj_id))
        if values is None:
            return default
        return values.get(key, default)

    def set(self, kind: str, obj_id: int, **values: object) -> None:
        with self._lock:
            self._data.setdefault((kind, obj_id), {}).update(values)

    def drop(self, kind: str, obj_id: int) -> None:
        with self._lock:
            self._data.pop((kind, obj_id), None)

    def ids_where(self, kind: str, predicate: Callable[[dict[str, object]], bool]) -> list[int]:
        with self._lock:
            items = list(self._data.items())
        return [oid for (k, oid), values in items if k == kind and predicate(values)]
