"""File layout: one relative path per file, rendered in the Stash and the Plex host's syntax.

A file lives at `<root>/<top folder>/<sub folder>/<name>` on both hosts; the hosts differ only
by root, separator and (for planted cases) Unicode form or, for basename-only matches, folder.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from sandbox.generator import vocab
from sandbox.generator.cases import AMB_PAIR, AMB_SPLIT, BASENAME_ONLY, CasePlan
from sandbox.generator.draw import between, pick
from sandbox.generator.options import BASENAME_FOLDER, GeneratorOptions
from sandbox.generator.truth import NO_FILES, OUTSIDE_SECTIONS
from sandbox.model import StashFile, StashLibrary

_GENERIC_SUBS = ["Misc", "New Folder", "Camera Roll", "Ünïcode Földer", "Best of & More"]
_MULTI_SUFFIXES = {"parts": (" - pt1", " - pt2"), "media": (" - 1080p", " - 720p")}


@dataclass
class FilePlan:
    """Where one Stash file is on each host. `plex_path` is where Plex has (or would have) it."""

    scene_id: int
    stash_path: str
    plex_path: str
    size: int
    duration: float
    top: str  # top folder: decides the sections whose locations hold the file


def join(root: str, parts: tuple[str, ...], windows: bool) -> str:
    sep = "\\" if windows else "/"
    return root + ("" if root.endswith(sep) else sep) + sep.join(parts)


def layout_files(
    opts: GeneratorOptions,
    plan: CasePlan,
    stash: StashLibrary,
    folders: list[str],
    shared: set[str],
    rng: random.Random,
) -> dict[int, list[FilePlan]]:
    """File plans per scene id, also attached to the Stash scenes as StashFiles."""
    assert opts.stash_root is not None and opts.plex_root is not None
    single = [f for f in folders if f not in shared] or folders
    shared_list = [f for f in folders if f in shared]
    dup_name: dict[int, str] = {}
    for k, (a, b) in enumerate(plan.dup_pairs, start=1):
        dup_name[a] = dup_name[b] = f"Clip {k:04d}{pick(rng, vocab.EXTENSIONS)}"
    dup_size: dict[str, int] = {}
    dup_partner = {a: b for a, b in plan.dup_pairs} | {b: a for a, b in plan.dup_pairs}
    pair_of = {b: a for a, b in plan.amb_pairs}
    rel_of: dict[int, tuple[str, str]] = {}
    plans: dict[int, list[FilePlan]] = {}
    next_file_id = 1

    for sid in range(1, opts.scenes + 1):
        status = plan.status[sid]
        if status == NO_FILES:
            continue
        scene = stash.scenes[sid]
        if status == OUTSIDE_SECTIONS:
            top = opts.outside_folder
        elif status == BASENAME_ONLY:
            top = pick(rng, single)
        elif shared_list and rng.random() < 0.1:
            top = pick(rng, shared_list)
        else:
            top = pick(rng, single)
        if scene.studio_id and rng.random() < 0.6:
            sub = vocab.folder_name(stash.studios[scene.studio_id].name)
        else:
            sub = pick(rng, _GENERIC_SUBS)
        ext = pick(rng, vocab.EXTENSIONS)
        stem = vocab.file_stem(rng, f"{sid:06d}")
        if sid in plan.nfd_plex:
            stem = f"{pick(rng, vocab.ACCENTED)} {stem}"
        kind = plan.multi_kind.get(sid)
        if sid in pair_of:  # second scene of a stacked pair: next to its partner's file
            top, sub = rel_of[pair_of[sid]]
            names = [_name_of(plans[pair_of[sid]][0]).replace(" - cd1", " - cd2")]
        elif status == AMB_PAIR:
            names = [f"{stem} - cd1{ext}"]
        elif status == AMB_SPLIT:
            names = [f"{stem} - a{ext}", f"{stem} - b{ext}"]
        elif kind in _MULTI_SUFFIXES:
            first, second = _MULTI_SUFFIXES[kind]
            names = [f"{stem}{first}{ext}", f"{stem}{second}.mkv"]
        elif sid in dup_name:
            names = [dup_name[sid]]
            if rel_of.get(dup_partner[sid]) == (top, sub):
                sub = f"{sub} (copy)"  # same basename, but never the same folder
        else:
            names = [f"{stem}{ext}"]
        rel_of[sid] = (top, sub)

        files: list[FilePlan] = []
        for name in names:
            size = between(rng, 50_000_000, 4_000_000_000)
            if sid in dup_name:  # copies: same name and same size in two folders
                size = dup_size.setdefault(dup_name[sid].casefold(), size)
            stash_rel, plex_rel = (top, sub, name), (top, sub, name)
            if status == BASENAME_ONLY:
                plex_rel = (top, BASENAME_FOLDER, name)
            if sid in plan.nfd_plex:
                if plan.nfd_plex[sid]:
                    plex_rel = _nfd(plex_rel)
                else:
                    stash_rel = _nfd(stash_rel)
            files.append(
                FilePlan(
                    scene_id=sid,
                    stash_path=join(opts.stash_root, stash_rel, opts.windows_stash),
                    plex_path=join(opts.plex_root, plex_rel, opts.windows_plex),
                    size=size,
                    duration=round(rng.uniform(60.0, 7200.0), 2),
                    top=top,
                )
            )
        plans[sid] = files
        for fp in files:
            scene.files.append(StashFile(next_file_id, fp.stash_path, fp.size, fp.duration))
            next_file_id += 1
    return plans


def _name_of(fp: FilePlan) -> str:
    path = fp.stash_path
    return path[max(path.rfind("/"), path.rfind("\\")) + 1 :]


def _nfd(parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFD", part) for part in parts)
