"""The matching preview and the path-map suggestion of the Health Check, over a Stash sample.
No request: the sample and the refreshed path index are passed in.

The preview runs the production matcher (`plex.matching.match_scenes`) with the configured
`path_map` over the sampled scenes. When sampled scenes miss, `doctor.suggest` infers the
`path_map` value that would make them match; the suggestion is verified by matching the sample
once more with it, and both numbers are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from doctor.result import FAIL, OK, WARN, CheckResult, setting_place
from doctor.suggest import Suggestion, suggest_path_map
from plex.matching import (
    IndexEntry,
    MatchResult,
    MatchStatus,
    PathIndexView,
    SceneFiles,
    SectionLocations,
    match_scenes,
)
from plex.paths import PathStyle
from validation.path_map import PathMap

__all__ = ["EXAMPLES", "Preview", "count_results", "preview_matching"]

EXAMPLES = 3
# A suggestion fixing at least this share of the sampled scenes with files blocks "ready".
BLOCKING_SHARE = 0.10


@dataclass
class Preview:
    """Counts of the sample per outcome, with and without the suggested map."""

    counts: dict[str, int]
    results: list[CheckResult] = field(default_factory=list)
    suggestion: Suggestion | None = None
    counts_with_suggestion: dict[str, int] | None = None
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        document: dict[str, object] = {"counts": self.counts, "examples": self.examples}
        if self.suggestion is not None and self.suggestion.found:
            document["suggestion"] = {
                "path_map": self.suggestion.path_map,
                "fixes": self.suggestion.fixes,
                "rules": [[r.stash_prefix, r.plex_prefix] for r in self.suggestion.rules],
                "support": list(self.suggestion.support),
                "counts_with_it": self.counts_with_suggestion,
            }
        return document


def count_results(results: dict[int, MatchResult]) -> dict[str, int]:
    """matched (exact or mapped), basename (matched by the fallback only), ambiguous,
    not_found (inside a library, not indexed: not scanned yet), outside_sections, no_files."""
    counts: Counter[str] = Counter()
    for result in results.values():
        if result.status is MatchStatus.MATCHED:
            counts["basename" if result.how == "basename" else "matched"] += 1
        else:
            counts[result.status.value] += 1
    keys = ("matched", "basename", "ambiguous", "not_found", "outside_sections", "no_files")
    return {key: counts.get(key, 0) for key in keys}


_WHY = {
    MatchStatus.OUTSIDE_SECTIONS: "outside every configured Plex library",
    MatchStatus.NOT_FOUND: "inside a library folder but not in Plex yet",
    MatchStatus.AMBIGUOUS: "ambiguous",
}


def _example(scene: SceneFiles, result: MatchResult, path_map: PathMap) -> str:
    path = scene.files[0][0] if scene.files else ""
    mapped = path_map.to_plex(path)
    shown = repr(path) if mapped == path else f"{path!r} → {mapped!r}"
    why = _WHY.get(result.status, result.status.value)
    if result.status is MatchStatus.AMBIGUOUS:
        why += f" ({result.reason[:120]})"
    return f"scene {scene.scene_id} {shown}: {why}"


def _summary(counts: dict[str, int], total: int, sampled: int) -> str:
    by_name = counts["basename"]
    fallback = f" (+{by_name} by file name only)" if by_name else ""
    return (
        f"Matching preview ({sampled} of {total} scenes sampled): {counts['matched']} matched"
        f"{fallback}, "
        f"{counts['ambiguous']} ambiguous, {counts['not_found']} not in Plex yet (not scanned), "
        f"{counts['outside_sections']} outside every configured Plex library, "
        f"{counts['no_files']} without files"
    )


def preview_matching(
    scenes: Sequence[SceneFiles],
    entries: Sequence[IndexEntry],
    style: PathStyle,
    sections: Sequence[SectionLocations],
    path_map: PathMap,
    total: int,
) -> Preview:
    """Preview over the sampled `scenes` against the index `entries` (see module docstring)."""
    view = PathIndexView(entries, style)
    results = match_scenes(scenes, view, path_map.to_plex, sections)
    counts = count_results(results)
    preview = Preview(counts)
    by_id = {s.scene_id: s for s in scenes}
    misses = [r for r in results.values() if r.status is not MatchStatus.MATCHED]
    order = (MatchStatus.OUTSIDE_SECTIONS, MatchStatus.NOT_FOUND, MatchStatus.AMBIGUOUS)
    misses.sort(key=lambda r: (order.index(r.status) if r.status in order else 9, r.scene_id))
    preview.examples = [
        _example(by_id[r.scene_id], r, path_map)
        for r in misses
        if r.status is not MatchStatus.NO_FILES
    ][:EXAMPLES]

    with_files = len(scenes) - counts["no_files"]
    suggestion = suggest_path_map(
        [[path for path, _ in s.files] for s in scenes],
        [e.file for e in entries],
        current=path_map,
        style=style,
        locations=[loc for s in sections for loc in s.locations],
    )
    preview.suggestion = suggestion
    if suggestion.found:
        fixed_map = PathMap.parse(suggestion.path_map)
        preview.counts_with_suggestion = count_results(
            match_scenes(scenes, view, fixed_map.to_plex, sections)
        )
    preview.results.append(_preview_result(counts, with_files, len(scenes), total, preview))
    if suggestion.found:
        preview.results.append(_suggestion_result(suggestion, preview, with_files))
    return preview


def _preview_result(
    counts: dict[str, int], with_files: int, sampled: int, total: int, preview: Preview
) -> CheckResult:
    line = _summary(counts, total, sampled)
    details: dict[str, object] = dict(counts)
    if preview.examples:
        line += "; e.g. " + " | ".join(preview.examples)
    suggested = preview.suggestion is not None and preview.suggestion.found
    if with_files == 0:
        return CheckResult("matching", WARN, line, "no sampled scene has a file", details)
    if counts["matched"] + counts["basename"] == 0 and not suggested:
        return CheckResult(
            "matching",
            FAIL,
            line,
            "no sampled scene matches a Plex item: make sure the Plex libraries cover Stash's "
            f"folders and that {setting_place('path_map')} rewrites Stash's paths into Plex's",
            details,
        )
    if suggested:
        return CheckResult("matching", WARN, line, "see the path_map suggestion below", details)
    if counts["outside_sections"] * 2 > with_files:
        return CheckResult(
            "matching",
            WARN,
            line,
            "most sampled files lie outside every configured Plex library: add their folders "
            f"to a Plex library or check {setting_place('plex_library')}",
            details,
        )
    if counts["not_found"] * 5 > with_files:
        return CheckResult(
            "matching",
            WARN,
            line,
            "many files are inside a Plex library folder but not in Plex yet: scan the library "
            "in Plex",
            details,
        )
    if counts["ambiguous"]:
        return CheckResult(
            "matching",
            WARN,
            line,
            "ambiguous scenes are never written: each names its candidates when synced",
            details,
        )
    return CheckResult("matching", OK, line, details=details)


def _suggestion_result(suggestion: Suggestion, preview: Preview, with_files: int) -> CheckResult:
    now = preview.counts["matched"]
    after = (preview.counts_with_suggestion or {}).get("matched", now)
    value = suggestion.path_map
    if value:
        action = f"set {setting_place('path_map')} to exactly: {value}"
        line = f"Path map suggestion: {value}"
    else:
        action = f"clear {setting_place('path_map')} (leave it empty)"
        line = "Path map suggestion: leave path_map empty"
    line += (
        f" (makes {after} of {with_files} sampled scenes with files match exactly, now {now}; "
        f"fixes {suggestion.fixes})"
    )
    blocking = suggestion.fixes >= max(1.0, BLOCKING_SHARE * with_files)
    details: dict[str, object] = {
        "path_map": value,
        "fixes": suggestion.fixes,
        "matched_now": now,
        "matched_with_suggestion": after,
    }
    return CheckResult("path_map", FAIL if blocking else WARN, line, action, details)
