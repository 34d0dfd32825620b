"""The matching preview and the path-map suggestion of the Health Check, over a Stash sample.
No request: the sample and the refreshed path index are passed in.

The preview runs the production matcher (`plex.matching.match_scenes`) with the configured
`path_map` over the sampled scenes. When sampled scenes miss, `doctor.suggest` infers the
`path_map` value that would make them match; the suggestion is verified by matching the sample
once more with it, and both numbers are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from base.status import SceneStatus
from doctor.result import FAIL, OK, WARN, CheckResult, setting_place
from doctor.suggest import Suggestion, suggest_path_map
from plex.matching import (
    IndexEntry,
    MatchResult,
    PathIndexView,
    SceneFiles,
    SectionLocations,
    match_scenes,
)
from plex.paths import PathStyle
from runtime import voice
from runtime.voice import INFO_LIMIT
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
    debug: list[str] = field(default_factory=list)  # the examples with Plex item keys
    chosen: bool = False  # plex_library names libraries (others are not matched against)

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
        if result.status is SceneStatus.MATCHED:
            counts["basename" if result.how == "basename" else "matched"] += 1
        else:
            counts[_KEYS.get(result.status, result.status.value)] += 1
    keys = ("matched", "basename", "ambiguous", "not_found", "outside_sections", "no_files")
    return {key: counts.get(key, 0) for key in keys}


_WHY = {
    SceneStatus.OUTSIDE_LIBRARIES: "in no Plex library's folder",
    SceneStatus.NOT_SCANNED: "in a library folder but not in Plex yet",
    SceneStatus.AMBIGUOUS: "ambiguous",
}
_MARK_LEN = len("[WARN] ")
_FIX_ARROW = len(" → Fix: ")
_MIN_EXAMPLE = 30  # an example cut shorter than this names nothing useful
# A share of the sampled scenes with files not in Plex yet worth a warning (a few are normal).
NOT_SCANNED_SHARE = 0.20


def _shown(
    scene: SceneFiles,
    result: MatchResult,
    path_map: PathMap,
    titles: Mapping[int, str] | None = None,
) -> str:
    """`scene 9 '/data/a.mp4'`, with the path Plex would see when path_map changed it; with
    `titles` (the hide_paths setting) `scene 9 "Beach day"`: its id and title, no path."""
    path = scene.files[0][0] if scene.files else ""
    mapped = path_map.to_plex(path)
    if titles is not None:
        text = f"scene {voice.scene_ref(scene.scene_id, titles.get(scene.scene_id))}"
    else:
        text = f"scene {scene.scene_id} {path!r}"
    if titles is None and mapped != path and result.status is SceneStatus.OUTSIDE_LIBRARIES:
        text += f" → {mapped!r}"  # the path no library's folder holds
    if result.status is SceneStatus.AMBIGUOUS:
        items = len({(c.section_id, c.rating_key) for c in result.candidates})
        text += f" ({items} Plex items match)" if items > 1 else " (claimed by another scene)"
    return text


def _example(
    scene: SceneFiles,
    result: MatchResult,
    path_map: PathMap,
    titles: Mapping[int, str] | None = None,
) -> tuple[str, str]:
    """(info text, debug text) of one miss: Plex item keys only in the debug text."""
    shown = _shown(scene, result, path_map, titles)
    why = _WHY.get(result.status, result.status.value)
    full = f" ({result.reason})" if result.status is SceneStatus.AMBIGUOUS else ""
    return f"{shown}: {why}", f"{shown}: {why}{full}"


def _summary(counts: dict[str, int], total: int, sampled: int) -> str:
    by_name = counts["basename"]
    parts = [
        f"{counts['matched']} matched" + (f" (+{by_name} by file name only)" if by_name else "")
    ]
    for key, words in (
        ("outside_sections", "outside every Plex library"),
        ("not_found", "not in Plex yet (not scanned)"),
        ("ambiguous", "ambiguous"),
        ("no_files", "without files"),
    ):
        if counts[key]:
            parts.append(f"{counts[key]} {words}")
    return f"Matching preview ({sampled} of {total} scenes sampled): " + ", ".join(parts)


def _with_examples(line: str, examples: Sequence[str], fix: str) -> str:
    """`line` with as many whole examples as fit on one info-length log line with its fix."""
    room = INFO_LIMIT - _MARK_LEN - (_FIX_ARROW + len(fix) if fix else 0)
    shown: list[str] = []
    for example in examples:
        if len(line + "; e.g. " + ", ".join([*shown, example])) > room:
            break
        shown.append(example)
    left = room - len(line) - len("; e.g. ")
    if not shown and examples and left >= _MIN_EXAMPLE:
        # One example cut short still names its folder, which is where a path starts.
        shown.append(examples[0][: left - 1].rstrip() + "…")
    return line + ("; e.g. " + ", ".join(shown) if shown else "")


def preview_matching(
    scenes: Sequence[SceneFiles],
    entries: Sequence[IndexEntry],
    style: PathStyle,
    sections: Sequence[SectionLocations],
    path_map: PathMap,
    total: int,
    *,
    chosen: bool = False,
    titles: Mapping[int, str] | None = None,
    optimized: Sequence[IndexEntry] = (),
) -> Preview:
    """Preview over the sampled `scenes` against the index `entries` (see module docstring);
    `chosen`: the plex_library setting names the libraries (not every movie-type one);
    `titles` (given with the hide_paths setting): examples name scenes by id and title;
    `optimized`: the parts of Plex's optimized versions (never matched, see plex.matching)."""
    view = PathIndexView(entries, style, optimized)
    results = match_scenes(scenes, view, path_map.to_plex, sections)
    counts = count_results(results)
    preview = Preview(counts, chosen=chosen)
    by_id = {s.scene_id: s for s in scenes}
    misses = [r for r in results.values() if r.status is not SceneStatus.MATCHED]
    order = (SceneStatus.OUTSIDE_LIBRARIES, SceneStatus.NOT_SCANNED, SceneStatus.AMBIGUOUS)
    misses.sort(key=lambda r: (order.index(r.status) if r.status in order else 9, r.scene_id))
    shown = [
        _example(by_id[r.scene_id], r, path_map, titles)
        for r in misses
        if r.status is not SceneStatus.NO_FILES
    ][:EXAMPLES]
    preview.examples = [text for text, _ in shown]
    preview.debug = [f"Matching preview example: {full}" for _, full in shown]
    examples = {
        status: [
            _shown(by_id[r.scene_id], r, path_map, titles) for r in misses if r.status is status
        ][:EXAMPLES]
        for status in order
    }

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
    reasons = _reason_results(counts, with_files, preview, examples, bool(path_map.rules))
    preview.results.append(
        _preview_result(counts, with_files, len(scenes), total, preview, reasons)
    )
    preview.results.extend(reasons)
    if suggestion.found:
        preview.results.append(_suggestion_result(suggestion, preview, with_files))
    return preview


def _outside_fix(suggested: bool, chosen: bool) -> str:
    """What to do about files in no Plex library's folder (`chosen`: plex_library names some
    libraries, so the folder may belong to one that is not named)."""
    if suggested:
        fix = (
            f"set {setting_place('path_map')} as suggested below, or add their folder to a "
            "Plex library"
        )
    else:
        fix = (
            f"add their folder to a Plex library, or set {setting_place('path_map')} so "
            "Stash's paths become Plex's"
        )
    if chosen:
        fix += f" (or name its library in {setting_place('plex_library')})"
    return fix


def _reason_results(
    counts: dict[str, int],
    with_files: int,
    preview: Preview,
    examples: dict[SceneStatus, list[str]],
    mapped: bool,
) -> list[CheckResult]:
    """One line per reason sampled scenes miss: the count, what it means, examples, the fix."""
    suggested = preview.suggestion is not None and preview.suggestion.found
    matched_any = counts["matched"] + counts["basename"] > 0
    # Nothing matches and no path_map would help: each reason is then what blocks "ready".
    status = FAIL if not matched_any and not suggested else WARN
    results = []

    def reason(name: str, kind: SceneStatus, line: str, fix: str, level: str) -> None:
        shown = examples.get(kind, [])
        details: dict[str, object] = {"count": counts[_KEYS[kind]], "examples": shown}
        text = _with_examples(line, shown, fix)
        results.append(CheckResult(name, level, text, fix, details))

    outside = counts["outside_sections"]
    if outside:
        # Their own case, not a matching failure: the path Plex would see lies under none of
        # the libraries' folders, so no Plex item can hold the file.
        path = "Stash's path (path_map applied)" if mapped else "Stash's path"
        reason(
            "outside",
            SceneStatus.OUTSIDE_LIBRARIES,
            f"{outside} of {with_files} sampled scenes are outside every Plex library: {path} "
            "is in no library's folder",
            _outside_fix(suggested, preview.chosen),
            status,
        )
    not_found = counts["not_found"]
    if not_found and (not matched_any or not_found > NOT_SCANNED_SHARE * with_files):
        reason(
            "not_scanned",
            SceneStatus.NOT_SCANNED,
            f"{not_found} of {with_files} sampled scenes are in a Plex library's folder but "
            "not in Plex yet (not scanned)",
            "scan the library in Plex (Plex Web → the library → Scan Library Files)",
            status,
        )
    if counts["ambiguous"]:
        reason(
            "ambiguous",
            SceneStatus.AMBIGUOUS,
            f"{counts['ambiguous']} sampled scenes are ambiguous: more than one Plex item could "
            "be theirs",
            "ambiguous scenes are never written: each names its candidates when synced",
            WARN,
        )
    return results


# The preview's own count names (in Health Check's JSON details), by matching status.
_KEYS = {
    SceneStatus.OUTSIDE_LIBRARIES: "outside_sections",
    SceneStatus.NOT_SCANNED: "not_found",
    SceneStatus.AMBIGUOUS: "ambiguous",
}


def _preview_result(
    counts: dict[str, int],
    with_files: int,
    sampled: int,
    total: int,
    preview: Preview,
    reasons: Sequence[CheckResult],
) -> CheckResult:
    """The counts; the reasons follow on their own lines, so this line only says what no
    reason line says."""
    line = _summary(counts, total, sampled)
    details: dict[str, object] = dict(counts)
    suggested = preview.suggestion is not None and preview.suggestion.found
    matched_any = counts["matched"] + counts["basename"] > 0
    if with_files == 0:
        return CheckResult("matching", WARN, line, "no sampled scene has a file", details)
    if not matched_any and not suggested and not reasons:
        return CheckResult(
            "matching",
            FAIL,
            line,
            "no sampled scene matches a Plex item: make sure the Plex libraries cover Stash's "
            f"folders and that {setting_place('path_map')} rewrites Stash's paths into Plex's",
            details,
        )
    if suggested and not any(r.name == "outside" for r in reasons):
        return CheckResult("matching", WARN, line, "see the path_map suggestion below", details)
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
