"""Path-map inference: the `path_map` value that would make sampled Stash files match Plex parts.
Pure: takes Stash paths (Stash's form) and Plex part paths (Plex's form), returns data.

Each sampled Stash file whose basename is unique among the sampled Stash files **and** among
the distinct Plex part paths is aligned with that Plex path on their longest common suffix of
path components (compared like matching compares keys: NFC, case-folded when the Plex side is
case-insensitive; `\\` and `/` both separators on Windows-style sides). What precedes the
common suffix on each side is a candidate `stash_prefix=>plex_prefix` rule. Candidates are
made as specific as the Plex section locations allow (`/data=>/media` becomes
`/data/videos=>/media/videos` when every location under `/media` is under `/media/videos`),
voted for, and chosen greedily: a rule is kept only when it makes at least `min_support` more
sampled scenes match exactly. The result is checked against the current map: no suggestion
when it fixes nothing.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from plex.paths import PathStyle, basename_of, detect_style, is_windows_path, normalize
from validation.path_map import PathMap, PathMapError, PathRule

__all__ = ["MIN_SHARE", "Suggestion", "suggest_path_map"]

# A rule must fix at least this share of the sampled files (and never fewer than 2), so a
# stray file whose name happens to exist elsewhere in Plex cannot produce a rule.
MIN_SHARE = 0.01
_FORBIDDEN = (";", "\n", "\r", "=>")  # cannot be written in the setting's syntax


@dataclass(frozen=True)
class Suggestion:
    """What the inference found. `found` means: pasting `path_map` fixes sampled scenes.

    `path_map` is the exact setting value (`a=>b; c=>d`; "" means "leave it empty").
    `fixes` counts sampled scenes that match exactly with it and not with the current map;
    `matched_before`/`matched_after` count sampled scenes matching exactly with each map.
    """

    path_map: str
    rules: tuple[PathRule, ...]
    fixes: int
    matched_before: int
    matched_after: int
    scenes: int
    support: tuple[int, ...] = ()  # aligned files behind each rule (0: a kept current rule)
    aligned: int = 0  # files aligned with a unique Plex part
    skipped_not_unique: int = 0  # files whose basename is not unique on one side

    @property
    def found(self) -> bool:
        return self.fixes > 0


@dataclass
class _Alignment:
    stash_path: str
    plex_path: str
    stash_parts: list[tuple[str, int]]
    plex_parts: list[tuple[str, int]]
    stash_k: int  # components before the common suffix
    plex_k: int
    stash_windows: bool


@dataclass
class _Group:
    stash_prefix: str
    plex_prefix: str
    members: list[_Alignment] = field(default_factory=list)


def _components(path: str, windows: bool) -> list[tuple[str, int]]:
    """Non-empty components of `path` with the offset just after each."""
    seps = "\\/" if windows else "/"
    parts: list[tuple[str, int]] = []
    start: int | None = None
    for i, char in enumerate(path):
        if char in seps:
            if start is not None:
                parts.append((path[start:i], i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        parts.append((path[start:], len(path)))
    return parts


def _prefix(path: str, parts: list[tuple[str, int]], k: int, windows: bool) -> str | None:
    """The first `k` components as spelt in `path`; None when that is no absolute prefix."""
    if k == 0:
        return "/" if path.startswith("/") and not is_windows_path(path) else None
    text = path[: parts[k - 1][1]]
    if not (text.startswith("/") or is_windows_path(text)):
        return None
    return text


class _Keys:
    """Comparison keys under the Plex side's rules (what matching compares)."""

    def __init__(self, style: PathStyle) -> None:
        self.style = style

    def part(self, component: str) -> str:
        key = unicodedata.normalize("NFC", component)
        return unicodedata.normalize("NFC", key.casefold()) if self.style.fold_case else key

    def plex(self, path: str) -> str:
        return normalize(path, self.style.windows, fold_case=self.style.fold_case)

    def name(self, path: str, windows: bool) -> str:
        return self.part(basename_of(path, windows))

    @staticmethod
    def stash(prefix: str) -> str:
        return normalize(prefix, is_windows_path(prefix))


def _under(key: str, folder: str) -> bool:
    return key == folder or key.startswith(folder if folder.endswith("/") else folder + "/")


def _align(stash_path: str, plex_path: str, keys: _Keys) -> _Alignment | None:
    stash_windows = is_windows_path(stash_path)
    s_parts = _components(stash_path, stash_windows)
    p_parts = _components(plex_path, keys.style.windows)
    common = 0
    while common < min(len(s_parts), len(p_parts)) and keys.part(
        s_parts[-1 - common][0]
    ) == keys.part(p_parts[-1 - common][0]):
        common += 1
    # A side whose prefix would be empty but not a POSIX root (a drive or UNC server) keeps
    # one more component of its own.
    while common > 0:
        s_k, p_k = len(s_parts) - common, len(p_parts) - common
        if (
            _prefix(stash_path, s_parts, s_k, stash_windows) is not None
            and _prefix(plex_path, p_parts, p_k, keys.style.windows) is not None
        ):
            return _Alignment(stash_path, plex_path, s_parts, p_parts, s_k, p_k, stash_windows)
        common -= 1
    return None


def _prefixes(a: _Alignment, extra: int, windows: bool) -> tuple[str, str] | None:
    stash = _prefix(a.stash_path, a.stash_parts, a.stash_k + extra, a.stash_windows)
    plex = _prefix(a.plex_path, a.plex_parts, a.plex_k + extra, windows)
    return None if stash is None or plex is None else (stash, plex)


def _specialise(group: _Group, keys: _Keys, locations: Sequence[str]) -> tuple[str, str]:
    """The most specific prefixes still covering every member and every location under it."""
    best = (group.stash_prefix, group.plex_prefix)
    inside = [loc for loc in locations if _under(loc, keys.plex(group.plex_prefix))]
    if not inside:
        return best
    extra = 0
    while True:
        step = extra + 1
        first = group.members[0]
        # The suffix left after the prefix must keep at least the file name.
        if any(len(m.stash_parts) - m.stash_k <= step for m in group.members):
            return best
        wanted = keys.part(first.stash_parts[first.stash_k + extra][0])
        if any(keys.part(m.stash_parts[m.stash_k + extra][0]) != wanted for m in group.members):
            return best
        candidate = _prefixes(first, step, keys.style.windows)
        if candidate is None or not all(_under(loc, keys.plex(candidate[1])) for loc in inside):
            return best
        best, extra = candidate, step


def _expressible(stash: str, plex: str) -> bool:
    return not any(bad in side for side in (stash, plex) for bad in _FORBIDDEN)


def _parse(rules: Sequence[tuple[str, str]]) -> PathMap | None:
    text = "; ".join(f"{s}=>{p}" for s, p in rules)
    try:
        parsed = PathMap.parse(text)
    except PathMapError:
        return None
    return parsed if len(parsed.rules) == len(rules) else None


class _Scorer:
    """Counts sampled scenes with a file whose mapped path is a Plex part (exact keys)."""

    def __init__(self, scenes: Sequence[Sequence[str]], plex_keys: set[str], keys: _Keys):
        self.scenes = scenes
        self.plex_keys = plex_keys
        self.keys = keys

    def matched(self, path_map: PathMap) -> set[int]:
        hits: set[int] = set()
        for number, files in enumerate(self.scenes):
            if any(self.keys.plex(path_map.to_plex(f)) in self.plex_keys for f in files):
                hits.add(number)
        return hits


def suggest_path_map(
    stash_scenes: Sequence[Sequence[str]],
    plex_paths: Iterable[str],
    *,
    current: PathMap | str = "",
    style: PathStyle | None = None,
    locations: Sequence[str] = (),
    min_support: int | None = None,
) -> Suggestion:
    """Infer the `path_map` making the sampled scenes match Plex parts (module docstring).

    `stash_scenes`: each sampled scene's files in Stash's form; `plex_paths`: every indexed
    Plex part path; `current`: the map in use; `style`: the Plex side's path style (default:
    detected from `locations`, else from the parts); `locations`: the configured sections'
    `Location` paths (Plex's form), which bound how specific a rule gets.
    """
    plex_list = list(plex_paths)
    if style is None:
        style = detect_style(locations or plex_list)
    keys = _Keys(style)
    current_map = current if isinstance(current, PathMap) else _safe_parse(current)
    scenes = [tuple(files) for files in stash_scenes if files]

    plex_keys: set[str] = set()
    by_name: dict[str, dict[str, str]] = {}
    for path in plex_list:
        key = keys.plex(path)
        plex_keys.add(key)
        by_name.setdefault(keys.name(path, style.windows or is_windows_path(path)), {})[key] = path

    stash_by_name: dict[str, set[str]] = {}
    for files in scenes:
        for path in files:
            name = keys.name(path, is_windows_path(path))
            stash_by_name.setdefault(name, set()).add(keys.plex(path))

    groups: dict[tuple[str, str], _Group] = {}
    aligned = skipped = total_files = 0
    for files in scenes:
        for path in files:
            total_files += 1
            name = keys.name(path, is_windows_path(path))
            plex_hits = by_name.get(name, {})
            if not plex_hits:
                continue
            if len(plex_hits) > 1 or len(stash_by_name.get(name, ())) > 1:
                skipped += 1  # a shared basename must never produce a (possibly wrong) rule
                continue
            alignment = _align(path, next(iter(plex_hits.values())), keys)
            if alignment is None:
                continue
            pair = _prefixes(alignment, 0, style.windows)
            if pair is None:
                continue
            aligned += 1
            group_key = (keys.stash(pair[0]), keys.plex(pair[1]))
            groups.setdefault(group_key, _Group(*pair)).members.append(alignment)

    location_keys = [keys.plex(loc) for loc in locations if loc]
    votes: dict[tuple[str, str], tuple[str, str, int]] = {}
    for group in groups.values():
        stash_prefix, plex_prefix = _specialise(group, keys, location_keys)
        if keys.plex(stash_prefix) == keys.plex(plex_prefix):
            continue  # already the same path on both sides: nothing to map
        if not _expressible(stash_prefix, plex_prefix):
            continue
        vote_key = (keys.stash(stash_prefix), keys.plex(plex_prefix))
        _, _, count = votes.get(vote_key, (stash_prefix, plex_prefix, 0))
        votes[vote_key] = (stash_prefix, plex_prefix, count + len(group.members))

    needed = max(2, math.ceil(MIN_SHARE * total_files)) if min_support is None else min_support
    scorer = _Scorer(scenes, plex_keys, keys)
    chosen: list[tuple[str, str]] = []
    support: dict[str, int] = {}
    best = scorer.matched(PathMap())
    for stash_prefix, plex_prefix, count in sorted(
        votes.values(), key=lambda v: (-v[2], v[0], v[1])
    ):
        if count < needed or any(keys.stash(s) == keys.stash(stash_prefix) for s, _ in chosen):
            continue
        trial = _parse([*chosen, (stash_prefix, plex_prefix)])
        if trial is None:
            continue
        hits = scorer.matched(trial)
        if len(hits) - len(best) >= needed:
            chosen.append((stash_prefix, plex_prefix))
            support[keys.stash(stash_prefix)] = count
            best = hits

    inferred = _parse(chosen) or PathMap()
    final = _with_current(inferred, current_map, scorer, keys)
    before = scorer.matched(current_map)
    after = scorer.matched(final)
    fixes = len(after - before)
    if len(after) <= len(before) or final.format() == current_map.format():
        final, fixes, after = current_map, 0, before
    return Suggestion(
        path_map=final.format() if fixes else current_map.format(),
        rules=final.rules,
        fixes=fixes,
        matched_before=len(before),
        matched_after=len(after),
        scenes=len(scenes),
        support=tuple(support.get(keys.stash(r.stash_prefix), 0) for r in final.rules)
        if fixes
        else (),
        aligned=aligned,
        skipped_not_unique=skipped,
    )


def _safe_parse(text: str) -> PathMap:
    try:
        return PathMap.parse(text)
    except PathMapError:
        return PathMap()


def _with_current(inferred: PathMap, current: PathMap, scorer: _Scorer, keys: _Keys) -> PathMap:
    """The inferred rules, plus the current ones they do not replace unless those do harm.

    A current rule for a root the sample barely touches may still be right for files outside
    the sample, so it is kept whenever keeping it costs no sampled match.
    """
    taken = {keys.stash(r.stash_prefix) for r in inferred.rules}
    extra = [r for r in current.rules if keys.stash(r.stash_prefix) not in taken]
    if not extra:
        return inferred
    merged = PathMap(inferred.rules + tuple(extra))
    if len(scorer.matched(merged)) >= len(scorer.matched(inferred)):
        return merged
    return inferred
