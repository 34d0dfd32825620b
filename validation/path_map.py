"""The `path_map` setting: parse `stash_prefix=>plex_prefix; ...` and rewrite paths with it.

Pure and standard library only. Prefixes match only at separator boundaries (`/data` maps
`/data/a.mp4`, never `/database/a.mp4`); the longest matching prefix wins. Windows-style
prefixes (`D:\\`, `\\\\server\\share`) match case-insensitively with either separator; the
rest of the path takes the target side's separator style.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["PathMap", "PathMapError", "PathRule", "is_windows_path"]

ARROW = "=>"
_DRIVE = re.compile(r"^[A-Za-z]:(?:[\\/]|$)")


class PathMapError(ValueError):
    """The `path_map` text is malformed; the message names the entry and the fix."""


def is_windows_path(path: str) -> bool:
    """`C:\\x`, `C:/x` or a UNC path `\\\\server\\share`."""
    return bool(_DRIVE.match(path)) or path.startswith("\\\\")


def _sep(windows: bool) -> str:
    return "\\" if windows else "/"


def _normalize_prefix(raw: str) -> str:
    prefix = unicodedata.normalize("NFC", raw.strip())
    windows = is_windows_path(prefix)
    if windows:
        prefix = prefix.replace("/", "\\")
        if len(prefix) == 2:  # "D:" means the drive root
            prefix += "\\"
    sep = _sep(windows)
    root_len = 3 if _DRIVE.match(prefix) else 1
    while len(prefix) > root_len and prefix.endswith(sep) and not prefix.endswith(sep * 2):
        prefix = prefix[:-1]
    return prefix


def _is_absolute(prefix: str) -> bool:
    return prefix.startswith("/") or is_windows_path(prefix)


@dataclass(frozen=True)
class PathRule:
    """One `stash_prefix=>plex_prefix` entry, both sides normalised (NFC, no trailing sep)."""

    stash_prefix: str
    plex_prefix: str


def _match_len(path: str, prefix: str) -> int | None:
    """Length of `path`'s part matched by `prefix` at a separator boundary, else None."""
    windows = is_windows_path(prefix)
    candidate = path.replace("/", "\\") if windows else path
    head = candidate[: len(prefix)]
    if (head.casefold() != prefix.casefold()) if windows else (head != prefix):
        return None
    sep = _sep(windows)
    if len(candidate) == len(prefix) or prefix.endswith(sep) or candidate[len(prefix)] == sep:
        return len(prefix)
    return None


def _join(prefix: str, rest: str, source_windows: bool) -> str:
    """`prefix` + `rest`, with `rest` in the separator style of `prefix`."""
    target_windows = is_windows_path(prefix)
    if target_windows:
        rest = rest.replace("/", "\\")
    elif source_windows:
        rest = rest.replace("\\", "/")
    sep = _sep(target_windows)
    if prefix.endswith(sep) and rest.startswith(sep):
        rest = rest[1:]
    elif rest and not prefix.endswith(sep) and not rest.startswith(sep):
        rest = sep + rest  # the source prefix was a root ("/", "D:\\") and kept its separator
    return prefix + rest


@dataclass(frozen=True)
class PathMap:
    """Ordered prefix rewrites between Stash's and Plex's view of the same files."""

    rules: tuple[PathRule, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> PathMap:
        """Parse the setting; entries separated by `;` or newlines, empty entries ignored.

        Raises PathMapError naming the first bad entry (no `=>`, an empty or relative side,
        a Stash prefix given twice).
        """
        rules: list[PathRule] = []
        seen: set[str] = set()
        entries = [e.strip() for e in re.split(r"[;\n]", text or "")]
        for number, entry in enumerate((e for e in entries if e), start=1):
            where = f"entry {number} ({entry!r})"
            if entry.count(ARROW) != 1:
                raise PathMapError(f"{where} needs exactly one '=>' (stash_prefix=>plex_prefix)")
            left, right = (_normalize_prefix(side) for side in entry.split(ARROW))
            if not left or not right:
                raise PathMapError(f"{where} has an empty side (stash_prefix=>plex_prefix)")
            for side in (left, right):
                if not _is_absolute(side):
                    raise PathMapError(f"{where}: {side!r} is not an absolute path")
            key = left.casefold() if is_windows_path(left) else left
            if key in seen:
                raise PathMapError(f"{where} repeats the Stash prefix {left!r}")
            seen.add(key)
            rules.append(PathRule(left, right))
        return cls(tuple(rules))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def to_plex(self, path: str) -> str:
        """`path` (as Stash stores it) as Plex sees it; unchanged when no prefix matches."""
        return self._rewrite(path, to_plex=True)

    def to_stash(self, path: str) -> str:
        """The inverse of `to_plex`: a Plex path as Stash stores it."""
        return self._rewrite(path, to_plex=False)

    def format(self) -> str:
        """The canonical setting text for these rules."""
        return "; ".join(f"{r.stash_prefix}=>{r.plex_prefix}" for r in self.rules)

    def _rewrite(self, path: str, *, to_plex: bool) -> str:
        path = unicodedata.normalize("NFC", path)
        best: tuple[int, str, str] | None = None
        for rule in self.rules:
            source, target = (
                (rule.stash_prefix, rule.plex_prefix)
                if to_plex
                else (rule.plex_prefix, rule.stash_prefix)
            )
            length = _match_len(path, source)
            if length is not None and (best is None or length > best[0]):
                best = (length, source, target)
        if best is None:
            return path
        length, source, target = best
        return _join(target, path[length:], is_windows_path(source))
