"""What the plugin should conclude about a generated library: the tests' answer key.

Every case the generator plants is recorded here, per scene and as sets, so a test can hold
the plugin's matching, writing and reconciliation against known facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Reasons a scene has no Plex target.
NO_FILES = "no_files"
NOT_SCANNED = "not_scanned"  # file on Plex's disk, no item yet
OUTSIDE_SECTIONS = "outside_sections"  # file in a folder outside every section location
AMBIGUOUS = "ambiguous"  # two scenes in one item, or one scene in two items of one section
OPTIMIZED_COPY = "optimized_copy"  # the scene's file is Plex's optimized version of an item

# How a scene with targets matches.
EXACT = "exact"  # equal roots: same path after normalisation (NFC, separators)
MAPPED = "mapped"  # through Truth.path_map
BASENAME = "basename"  # different folder; basename unique on both sides, sizes equal

# State of a matched scene's Plex item(s).
EMPTY = "empty"  # title = file stem (plus year parsed from "(YYYY)"), never synced
SYNCED = "synced"  # carries the scene's current metadata and locks; sync entry = updated_at
STALE = "stale"  # carries an older version's metadata; sync entry older than updated_at
WIPED = "wiped"  # synced before (sync entry = updated_at) but the item is empty again
FOREIGN = "foreign"  # agent-style metadata that is not the scene's; never synced


@dataclass
class SceneTruth:
    """The answer for one scene. Targets are (section_id, rating_key), sorted."""

    scene_id: int
    targets: list[tuple[int, int]] = field(default_factory=list)
    reason: str | None = None  # set exactly when targets is empty
    method: str | None = None  # EXACT, MAPPED or BASENAME when targets exist
    plex_state: str | None = None  # EMPTY/SYNCED/STALE/WIPED/FOREIGN when targets exist
    # Items involved in an ambiguity (AMBIGUOUS only), as (section_id, rating_key).
    candidates: list[tuple[int, int]] = field(default_factory=list)
    # The Plex-host form of each file (as Plex stores or would store it), Stash file order.
    plex_paths: list[str] = field(default_factory=list)


@dataclass
class Truth:
    """Facts about one generated library. Sets hold scene ids unless named otherwise."""

    scenes: dict[int, SceneTruth] = field(default_factory=dict)
    path_map: str = ""  # "stash_root=>plex_root", or "" when the roots are equal
    stash_windows: bool = False
    plex_windows: bool = False
    # Reasons and methods.
    no_files: set[int] = field(default_factory=set)
    not_scanned: set[int] = field(default_factory=set)
    outside_sections: set[int] = field(default_factory=set)
    ambiguous: set[int] = field(default_factory=set)
    basename: set[int] = field(default_factory=set)
    two_sections: set[int] = field(default_factory=set)  # targets in two sections
    # Plex states (matched scenes only).
    plex_empty: set[int] = field(default_factory=set)
    synced: set[int] = field(default_factory=set)
    stale: set[int] = field(default_factory=set)
    wiped: set[int] = field(default_factory=set)
    foreign: set[int] = field(default_factory=set)
    # What a previous sync left in the plugin's data folder: scene id -> epoch seconds of the
    # Stash updated_at that was synced (SPEC §3 `sync_timestamps`); synced, stale and wiped.
    sync_timestamps: dict[int, float] = field(default_factory=dict)
    # Stash-side traits.
    no_metadata: set[int] = field(default_factory=set)  # has_meaningful_metadata is false
    no_cover: set[int] = field(default_factory=set)
    png_cover: set[int] = field(default_factory=set)
    multi_file: set[int] = field(default_factory=set)  # scenes with 2 files
    multi_parts: set[int] = field(default_factory=set)  # 2 files as 2 Parts of one Media
    multi_media: set[int] = field(default_factory=set)  # 2 files as 2 Media of one item
    dup_basename: set[int] = field(default_factory=set)
    nfd: set[int] = field(default_factory=set)  # Plex and Stash differ in Unicode form
    recent_24h: set[int] = field(default_factory=set)  # updated_at within 24 h before now
    heavy: set[int] = field(default_factory=set)  # over 200 tags and performers
    long_details: set[int] = field(default_factory=set)  # details over 10,000 characters
    control_chars: set[int] = field(default_factory=set)  # details with control characters
    # Plex items matching no scene (rating keys).
    orphans: list[int] = field(default_factory=list)
    # Plex's optimized versions: rating keys of items that have one, and the Stash scenes
    # whose file is such a copy (scene id -> rating key of the item it copies).
    optimized_items: set[int] = field(default_factory=set)
    optimized_copies: dict[int, int] = field(default_factory=dict)

    def expected_targets(self) -> dict[int, list[tuple[int, int]]]:
        """scene id -> targets, for every scene that has some."""
        return {sid: t.targets for sid, t in self.scenes.items() if t.targets}
