"""Deterministic assignment of every planted case to scene ids.

Exclusive fates (no files, outside, not scanned, ambiguous, basename-only, matched) come from
one shuffled slice each; traits are samples of the scenes where they make sense.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.generator.options import GeneratorOptions, share
from sandbox.generator.truth import (
    EMPTY,
    FOREIGN,
    NO_FILES,
    NOT_SCANNED,
    OUTSIDE_SECTIONS,
    STALE,
    SYNCED,
    WIPED,
)

MATCHED = "matched"
BASENAME_ONLY = "basename_only"
AMB_PAIR = "amb_pair"  # two scenes stacked as Parts of one Plex item
AMB_SPLIT = "amb_split"  # one scene's two files as two items of one section


@dataclass
class CasePlan:
    status: dict[int, str] = field(default_factory=dict)
    amb_pairs: list[tuple[int, int]] = field(default_factory=list)
    plex_state: dict[int, str] = field(default_factory=dict)  # matched and basename-only
    multi_kind: dict[int, str] = field(default_factory=dict)  # "parts" | "media" | "split"
    dup_pairs: list[tuple[int, int]] = field(default_factory=list)
    nfd_plex: dict[int, bool] = field(default_factory=dict)  # True: Plex NFD, Stash NFC
    no_metadata: set[int] = field(default_factory=set)
    no_cover: set[int] = field(default_factory=set)
    png_cover: set[int] = field(default_factory=set)
    recent: set[int] = field(default_factory=set)
    heavy: set[int] = field(default_factory=set)
    long_details: set[int] = field(default_factory=set)
    control_chars: set[int] = field(default_factory=set)

    def ids_with(self, *statuses: str) -> list[int]:
        return sorted(sid for sid, status in self.status.items() if status in statuses)


def assign_cases(opts: GeneratorOptions, rng: random.Random, basename_possible: bool) -> CasePlan:
    """Choose which scenes carry which case; `opts` must be resolved."""
    n = opts.scenes
    plan = CasePlan()
    order = list(range(1, n + 1))
    rng.shuffle(order)
    cursor = 0

    def take(count: int) -> list[int]:
        nonlocal cursor
        chosen = order[cursor : cursor + count]
        cursor += len(chosen)
        return chosen

    for status, fraction in (
        (NO_FILES, opts.frac_no_files),
        (OUTSIDE_SECTIONS, opts.frac_outside_sections),
        (NOT_SCANNED, opts.frac_not_scanned),
    ):
        for sid in take(share(fraction, n)):
            plan.status[sid] = status
    _assign_ambiguous(plan, take, share(opts.frac_ambiguous, n))
    for sid in take(share(opts.frac_basename, n) if basename_possible else 0):
        plan.status[sid] = BASENAME_ONLY
    matched_order = order[cursor:]
    for sid in matched_order:
        plan.status[sid] = MATCHED

    all_ids = list(range(1, n + 1))
    plan.no_metadata = set(rng.sample(all_ids, share(opts.frac_no_metadata, n)))
    pool = [*matched_order, *plan.ids_with(BASENAME_ONLY)]
    rng.shuffle(pool)
    _assign_states(plan, opts, pool)
    _assign_traits(plan, opts, rng)
    return plan


def _assign_ambiguous(plan: CasePlan, take: Callable[[int], list[int]], count: int) -> None:
    if count <= 0:
        return
    pairs = max(1, count // 4)
    chosen = take(2 * pairs + max(1, count - 2 * pairs))
    for i in range(0, min(2 * pairs, len(chosen) - 1), 2):
        a, b = sorted(chosen[i : i + 2])
        plan.amb_pairs.append((a, b))
        plan.status[a] = plan.status[b] = AMB_PAIR
    for sid in chosen[2 * len(plan.amb_pairs) :]:
        plan.status[sid] = AMB_SPLIT
        plan.multi_kind[sid] = "split"


def _assign_states(plan: CasePlan, opts: GeneratorOptions, pool: list[int]) -> None:
    n = opts.scenes
    empty = pool[: share(opts.frac_plex_empty, n)]
    for sid in empty:
        plan.plex_state[sid] = EMPTY
    rest = pool[len(empty) :]
    # Scenes failing has_meaningful_metadata are never pushed, so never carry a sync.
    meaningful = [sid for sid in rest if sid not in plan.no_metadata]
    cursor = 0
    for state, fraction in (
        (SYNCED, opts.frac_synced),
        (STALE, opts.frac_stale),
        (WIPED, opts.frac_wiped),
    ):
        count = share(fraction, n)
        for sid in meaningful[cursor : cursor + count]:
            plan.plex_state[sid] = state
        cursor += count
    for sid in rest:
        plan.plex_state.setdefault(sid, FOREIGN)


def _assign_traits(plan: CasePlan, opts: GeneratorOptions, rng: random.Random) -> None:
    n = opts.scenes
    single = plan.ids_with(MATCHED, NOT_SCANNED, OUTSIDE_SECTIONS)
    multi = rng.sample(single, min(len(single), share(opts.frac_multi_file, n)))
    for i, sid in enumerate(multi):
        plan.multi_kind[sid] = "parts" if i % 2 == 0 else "media"
    single = [sid for sid in single if sid not in plan.multi_kind]

    wanted = max(2, share(opts.frac_dup_basename, n)) if opts.frac_dup_basename > 0 else 0
    dup_count = min(len(single), wanted) // 2 * 2
    dups = rng.sample(single, dup_count)
    # One pair joins a matched file with a not-scanned copy of the same name and size: the
    # basename fallback must refuse it (the basename is not unique among Stash scenes).
    matched = [sid for sid in dups if plan.status[sid] == MATCHED]
    chosen = set(dups)
    pending = [sid for sid in single if plan.status[sid] == NOT_SCANNED and sid not in chosen]
    if matched and pending and dups:
        dups[dups.index(matched[0]) ^ 1] = pending[0]
    plan.dup_pairs = [(dups[i], dups[i + 1]) for i in range(0, len(dups) - 1, 2)]
    in_dup = set(dups)

    nfd_pool = [
        sid
        for sid in plan.ids_with(MATCHED, NOT_SCANNED)
        if sid not in in_dup and plan.multi_kind.get(sid) != "split"
    ]
    for i, sid in enumerate(rng.sample(nfd_pool, min(len(nfd_pool), share(opts.frac_nfd, n)))):
        plan.nfd_plex[sid] = i % 2 == 0

    all_ids = list(range(1, n + 1))
    plan.no_cover = set(rng.sample(all_ids, share(opts.frac_no_cover, n)))
    covered = [sid for sid in all_ids if sid not in plan.no_cover]
    plan.png_cover = set(rng.sample(covered, share(0.1, len(covered))))
    plan.recent = set(rng.sample(all_ids, share(0.05, n)))

    meaningful = [sid for sid in all_ids if sid not in plan.no_metadata]
    special = rng.sample(meaningful, min(len(meaningful), 1 + 2 * share(0.002, n)))
    plan.heavy = set(special[:1])
    plan.long_details = set(special[1::2])
    plan.control_chars = set(special[2::2])
