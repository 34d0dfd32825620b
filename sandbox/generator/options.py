"""Knobs of the library generator and their validation into concrete per-case counts.

Every fraction is a share of ALL scenes; a positive fraction always yields at least one case
(while scenes remain), so a 100-scene library still holds every case.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc)
POSIX_STASH_ROOT = "/data/videos"
POSIX_PLEX_ROOT = "/media/videos"
WINDOWS_STASH_ROOT = "E:\\Videos"
WINDOWS_PLEX_ROOT = "D:\\Videos"
# Folders the generator reserves for itself (never a section location of the defaults).
OUTSIDE_FOLDER = "Unsorted"
BASENAME_FOLDER = "Imported"  # Plex-side sub-folder of basename-only matches

_WINDOWS_FORBIDDEN = set('\\/:*?"<>|')


@dataclass(frozen=True)
class SectionSpec:
    """One Plex movie-type section: its locations are `<plex_root><sep><folder>` per folder."""

    title: str
    folders: tuple[str, ...]
    agent: str = "tv.plex.agents.movie"
    scanner: str = "Plex Movie"
    language: str = "en-US"


# Every scene matched: no fates that keep a scene out of Plex (tests and benchmarks that
# measure the matched path only).
MATCHED_ONLY: dict[str, float | int] = {
    "frac_no_files": 0.0,
    "frac_outside_sections": 0.0,
    "frac_not_scanned": 0.0,
    "frac_ambiguous": 0.0,
    "frac_basename": 0.0,
    "frac_dup_basename": 0.0,
    "frac_no_metadata": 0.0,
    "plex_orphans": 0,
}

# MATCHED_ONLY on a Plex that holds none of the metadata yet, one file per scene, every scene
# with a cover: a first sync of simple scenes.
FIRST_SYNC_ONLY: dict[str, float | int] = {
    **MATCHED_ONLY,
    "frac_plex_empty": 1.0,
    "frac_synced": 0.0,
    "frac_stale": 0.0,
    "frac_wiped": 0.0,
    "frac_multi_file": 0.0,
    "frac_nfd": 0.0,
    "frac_no_cover": 0.0,
}


def default_sections() -> tuple[SectionSpec, ...]:
    """A Movies agent section and an Other Videos section sharing the folder "Shared"."""
    return (
        SectionSpec("Movies", ("Movies", "Shared")),
        SectionSpec(
            "Other Videos",
            ("Clips", "Shared"),
            agent="tv.plex.agents.none",
            scanner="Plex Video Files",
            language="xn",
        ),
    )


@dataclass
class GeneratorOptions:
    """What library to build. `None` roots resolve to POSIX or Windows defaults per flag."""

    scenes: int = 1000
    seed: int = 1
    stash_root: str | None = None  # default "/data/videos" ("E:\\Videos" if windows_stash)
    plex_root: str | None = None  # default "/media/videos" ("D:\\Videos" if windows_plex)
    windows_plex: bool = False
    windows_stash: bool = False
    sections: tuple[SectionSpec, ...] = field(default_factory=default_sections)
    outside_folder: str = OUTSIDE_FOLDER
    # Exclusive Plex-side fates of a scene (shares of all scenes).
    frac_no_files: float = 0.02
    frac_outside_sections: float = 0.02
    frac_not_scanned: float = 0.04
    frac_ambiguous: float = 0.005
    frac_basename: float = 0.005
    # States of matched items (shares of all scenes, drawn from the matched ones).
    frac_plex_empty: float = 0.25
    frac_synced: float = 0.35
    frac_stale: float = 0.02
    frac_wiped: float = 0.01
    # Orthogonal traits.
    frac_multi_file: float = 0.03
    frac_dup_basename: float = 0.02
    frac_nfd: float = 0.02
    frac_no_cover: float = 0.05
    frac_no_metadata: float = 0.03
    plex_orphans: int = 5
    # Items given an optimized version by Plex (sandbox.generator.optimized); of those, how
    # many copies Stash has scanned too (a scene whose file is the optimized copy).
    plex_optimized: int = 0
    stash_scans_optimized: int = 0
    tz_offset: str = "Z"
    now: datetime = DEFAULT_NOW

    def resolved(self) -> GeneratorOptions:
        """A validated copy with roots filled in and trailing separators removed."""
        stash_root = self.stash_root or (
            WINDOWS_STASH_ROOT if self.windows_stash else POSIX_STASH_ROOT
        )
        plex_root = self.plex_root or (WINDOWS_PLEX_ROOT if self.windows_plex else POSIX_PLEX_ROOT)
        stash_root = _strip_root(stash_root, self.windows_stash)
        plex_root = _strip_root(plex_root, self.windows_plex)
        _check_root("stash_root", stash_root, self.windows_stash)
        _check_root("plex_root", plex_root, self.windows_plex)
        if stash_root == plex_root and self.windows_stash != self.windows_plex:
            raise ValueError("equal roots need the same path style on both hosts")
        if self.scenes < 0 or self.scenes > 1_000_000:
            raise ValueError("scenes must be between 0 and 1,000,000")
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._check_sections()
        for spec in dataclasses.fields(self):
            if spec.name.startswith("frac_"):
                value = getattr(self, spec.name)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{spec.name} must be within 0..1")
        exclusive = (
            self.frac_no_files
            + self.frac_outside_sections
            + self.frac_not_scanned
            + self.frac_ambiguous
            + self.frac_basename
        )
        if exclusive > 0.9:
            raise ValueError("the exclusive fractions leave fewer than 10% matched scenes")
        if self.plex_orphans < 0:
            raise ValueError("plex_orphans must be >= 0")
        if not 0 <= self.stash_scans_optimized <= self.plex_optimized:
            raise ValueError("stash_scans_optimized must be between 0 and plex_optimized")
        parse_tz(self.tz_offset)
        return dataclasses.replace(self, stash_root=stash_root, plex_root=plex_root)

    def _check_sections(self) -> None:
        if not self.sections:
            raise ValueError("at least one section is needed")
        for spec in self.sections:
            if not spec.folders:
                raise ValueError(f"section {spec.title!r} has no folders")
            for folder in spec.folders:
                if folder in (self.outside_folder, BASENAME_FOLDER) or not _safe_name(folder):
                    raise ValueError(f"section folder {folder!r} is reserved or not a name")
        if not _safe_name(self.outside_folder):
            raise ValueError("outside_folder must be a plain folder name")

    @property
    def path_map(self) -> str:
        """The `path_map` setting that maps Stash paths onto Plex paths ("" for equal roots)."""
        opts = self.resolved()
        if opts.stash_root == opts.plex_root:
            return ""
        return f"{opts.stash_root}=>{opts.plex_root}"


def share(fraction: float, total: int) -> int:
    """round(fraction * total), at least 1 for a positive fraction (never more than total)."""
    if fraction <= 0 or total <= 0:
        return 0
    return min(total, max(1, round(fraction * total)))


def parse_tz(offset: str) -> timezone:
    """'Z' or '+HH:MM'/'-HH:MM' as a fixed timezone."""
    if offset in ("Z", "z", "+00:00"):
        return timezone.utc
    if len(offset) != 6 or offset[0] not in "+-" or offset[3] != ":":
        raise ValueError(f"tz_offset must be 'Z' or '+HH:MM', not {offset!r}")
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _strip_root(root: str, windows: bool) -> str:
    seps = "\\/" if windows else "/"
    stripped = root.rstrip(seps)
    # A bare drive ("D:") or "/" keeps its separator-free form; joining adds one.
    return stripped or root[:1]


def _check_root(name: str, root: str, windows: bool) -> None:
    if windows:
        drive = len(root) >= 2 and root[1] == ":" and root[0].isalpha()
        if not (drive or root.startswith("\\\\")):
            raise ValueError(f"{name} {root!r} is not a Windows path (drive letter or UNC)")
    elif not root.startswith("/"):
        raise ValueError(f"{name} {root!r} is not an absolute POSIX path")


def _safe_name(name: str) -> bool:
    return bool(name) and name.strip() == name and not (set(name) & _WINDOWS_FORBIDDEN)
