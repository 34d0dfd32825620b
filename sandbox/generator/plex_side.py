"""Plex-side content consistent with the Stash library, and the truth about how they match.

Sections come from the SectionSpecs; items are planned per scene (or per ambiguous pair, or
orphan), shuffled so ratingKeys never track scene ids, then filled according to their state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import uuid
from dataclasses import dataclass

from sandbox.generator import vocab
from sandbox.generator.cases import AMB_PAIR, AMB_SPLIT, BASENAME_ONLY, MATCHED, CasePlan
from sandbox.generator.desired import DesiredItem, desired_item
from sandbox.generator.draw import between, pick
from sandbox.generator.layout import FilePlan, join
from sandbox.generator.options import GeneratorOptions
from sandbox.generator.truth import (
    AMBIGUOUS,
    BASENAME,
    EMPTY,
    EXACT,
    FOREIGN,
    MAPPED,
    NO_FILES,
    NOT_SCANNED,
    OUTSIDE_SECTIONS,
    STALE,
    SYNCED,
    WIPED,
    SceneTruth,
    Truth,
)
from sandbox.images import jpeg_bytes
from sandbox.model import (
    PlexImage,
    PlexItem,
    PlexLibrary,
    PlexMedia,
    PlexPart,
    PlexSection,
    StashLibrary,
    StashScene,
)

_YEAR = re.compile(r"\((\d{4})\)")
_NO_AGENT = ("tv.plex.agents.none", "com.plexapp.agents.none")


@dataclass
class _ItemPlan:
    section: PlexSection
    media: list[list[FilePlan]]  # Media -> Parts
    owners: tuple[int, ...]  # scene ids; () for orphans
    state: str


def build_sections(opts: GeneratorOptions, rng: random.Random) -> dict[int, PlexSection]:
    assert opts.plex_root is not None
    created = int(opts.now.timestamp()) - 400 * 86_400
    sections: dict[int, PlexSection] = {}
    for number, spec in enumerate(opts.sections, start=1):
        sections[number] = PlexSection(
            id=number,
            title=spec.title,
            locations=[join(opts.plex_root, (f,), opts.windows_plex) for f in spec.folders],
            agent=spec.agent,
            scanner=spec.scanner,
            language=spec.language,
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            created_at=created,
            updated_at=created + 3600,
            scanned_at=int(opts.now.timestamp()) - between(rng, 600, 86_400),
        )
    return sections


def build_plex(
    opts: GeneratorOptions,
    plan: CasePlan,
    stash: StashLibrary,
    files: dict[int, list[FilePlan]],
    rng: random.Random,
) -> tuple[PlexLibrary, Truth]:
    """Sections, items, disk files and the truth for a resolved `opts`."""
    assert opts.plex_root is not None
    lib = PlexLibrary(sections=build_sections(opts, rng))
    in_sections: dict[str, list[PlexSection]] = {}
    for number, spec in enumerate(opts.sections, start=1):
        for folder in spec.folders:
            in_sections.setdefault(folder, []).append(lib.sections[number])

    plans: list[_ItemPlan] = []
    for sid in range(1, opts.scenes + 1):
        status, fps = plan.status[sid], files.get(sid, [])
        if status in (MATCHED, BASENAME_ONLY):
            kind = plan.multi_kind.get(sid)
            media = [fps] if kind == "parts" else [[fp] for fp in fps]
            for section in in_sections[fps[0].top]:
                plans.append(_ItemPlan(section, media, (sid,), plan.plex_state[sid]))
        elif status == AMB_SPLIT:
            for section in in_sections[fps[0].top]:
                plans.extend(_ItemPlan(section, [[fp]], (sid,), EMPTY) for fp in fps)
        elif status == NOT_SCANNED:
            for fp in fps:
                lib.disk_files[fp.plex_path] = fp.size
    for a, b in plan.amb_pairs:
        for section in in_sections[files[a][0].top]:
            plans.append(_ItemPlan(section, [[files[a][0], files[b][0]]], (a, b), EMPTY))
    folders = list(in_sections)
    for k in range(1, opts.plex_orphans + 1):
        top = pick(rng, folders)
        name = vocab.file_stem(rng, f"orphan{k:04d}") + pick(rng, vocab.EXTENSIONS)
        orphan = FilePlan(
            scene_id=0,
            stash_path="",
            plex_path=join(opts.plex_root, (top, "Orphans", name), opts.windows_plex),
            size=between(rng, 50_000_000, 4_000_000_000),
            duration=round(rng.uniform(60.0, 7200.0), 2),
            top=top,
        )
        state = FOREIGN if k % 2 == 0 else EMPTY
        plans.extend(_ItemPlan(section, [[orphan]], (), state) for section in in_sections[top])

    rng.shuffle(plans)
    truth = _new_truth(opts, plan, stash, files)
    builder = _ItemBuilder(opts, stash, truth, rng)
    lib.next_rating_key = 1000 + rng.randrange(1000)
    lib.next_media_id = 5000 + rng.randrange(1000)
    lib.next_part_id = 9000 + rng.randrange(1000)
    for item_plan in plans:
        item = builder.build(lib, item_plan)
        lib.items[item.rating_key] = item
        target = (item.section_id, item.rating_key)
        if not item_plan.owners:
            truth.orphans.append(item.rating_key)
        elif plan.status[item_plan.owners[0]] in (AMB_PAIR, AMB_SPLIT):
            for sid in item_plan.owners:
                truth.scenes[sid].candidates.append(target)
        else:
            truth.scenes[item_plan.owners[0]].targets.append(target)
    for scene_truth in truth.scenes.values():
        scene_truth.targets.sort()
        scene_truth.candidates.sort()
        if len({section for section, _rk in scene_truth.targets}) > 1:
            truth.two_sections.add(scene_truth.scene_id)
    truth.orphans.sort()
    return lib, truth


def _new_truth(
    opts: GeneratorOptions, plan: CasePlan, stash: StashLibrary, files: dict[int, list[FilePlan]]
) -> Truth:
    truth = Truth(
        path_map=opts.path_map,
        stash_windows=opts.windows_stash,
        plex_windows=opts.windows_plex,
        no_metadata=set(plan.no_metadata),
        no_cover=set(plan.no_cover),
        png_cover=set(plan.png_cover),
        dup_basename={sid for pair in plan.dup_pairs for sid in pair},
        nfd=set(plan.nfd_plex),
        recent_24h=set(plan.recent),
        heavy=set(plan.heavy),
        long_details=set(plan.long_details),
        control_chars=set(plan.control_chars),
    )
    by_reason = {
        NO_FILES: truth.no_files,
        NOT_SCANNED: truth.not_scanned,
        OUTSIDE_SECTIONS: truth.outside_sections,
        AMBIGUOUS: truth.ambiguous,
    }
    by_state = {
        EMPTY: truth.plex_empty,
        SYNCED: truth.synced,
        STALE: truth.stale,
        WIPED: truth.wiped,
        FOREIGN: truth.foreign,
    }
    for sid, status in plan.status.items():
        st = SceneTruth(sid, plex_paths=[fp.plex_path for fp in files.get(sid, [])])
        if len(stash.scenes[sid].files) == 2:
            truth.multi_file.add(sid)
            kind = plan.multi_kind.get(sid)
            if status in (MATCHED, BASENAME_ONLY) and kind == "parts":
                truth.multi_parts.add(sid)
            elif status in (MATCHED, BASENAME_ONLY):
                truth.multi_media.add(sid)
        if status in (MATCHED, BASENAME_ONLY):
            direct = MAPPED if opts.path_map else EXACT
            st.method = BASENAME if status == BASENAME_ONLY else direct
            st.plex_state = plan.plex_state[sid]
            by_state[st.plex_state].add(sid)
            if status == BASENAME_ONLY:
                truth.basename.add(sid)
        else:
            st.reason = AMBIGUOUS if status in (AMB_PAIR, AMB_SPLIT) else status
            by_reason[st.reason].add(sid)
        truth.scenes[sid] = st
    return truth


class _ItemBuilder:
    """Turns item plans into PlexItems; one sync timestamp per scene across its items."""

    def __init__(
        self, opts: GeneratorOptions, stash: StashLibrary, truth: Truth, rng: random.Random
    ) -> None:
        self.stash, self.truth, self.rng = stash, truth, rng
        self.now_s = int(opts.now.timestamp())
        # A pool of agent metadata sets: generating text per item would dominate the run time.
        self.agent_pool = [_agent_values(rng) for _ in range(97)]

    def agent_values(self) -> dict[str, object]:
        values = self.agent_pool[self.rng.randrange(len(self.agent_pool))]
        return {**values, "genre": list(values["genre"])}  # type: ignore[call-overload]

    def build(self, lib: PlexLibrary, plan: _ItemPlan) -> PlexItem:
        rng = self.rng
        rk = lib.next_rating_key
        lib.next_rating_key += 1
        media = []
        for parts in plan.media:
            plex_parts = []
            for fp in parts:
                plex_parts.append(PlexPart(lib.next_part_id, fp.plex_path, fp.size, _ms(fp)))
                lib.next_part_id += 1
            ext = parts[0].plex_path.rsplit(".", 1)[-1].lower()
            duration = sum(part.duration for part in plex_parts)
            media.append(PlexMedia(lib.next_media_id, plex_parts, duration, _container(ext)))
            lib.next_media_id += 1
        first = plan.media[0][0].plex_path
        stem = first[max(first.rfind("/"), first.rfind("\\")) + 1 :].rsplit(".", 1)[0]
        year = _YEAR.search(stem)
        scene = self.stash.scenes[plan.owners[0]] if plan.owners else None
        born = int(scene.created_at.timestamp()) if scene else self.now_s - 40 * 86_400
        added = min(born + between(rng, 60, 3600), self.now_s - 60)
        item = PlexItem(
            rating_key=rk,
            section_id=plan.section.id,
            title=stem,
            media=media,
            added_at=added,
            updated_at=added,
            year=int(year.group(1)) if year else None,
            guid=f"local://{rk}",
        )
        if plan.section.agent not in _NO_AGENT:
            item.agent_values = self.agent_values()
        if plan.state == FOREIGN:
            values = item.agent_values or self.agent_values()
            self._apply_foreign(item, values)
        elif scene is not None and plan.state in (SYNCED, STALE, WIPED):
            self._apply_sync(item, scene, plan.state)
        return item

    def _apply_foreign(self, item: PlexItem, values: dict[str, object]) -> None:
        for name, value in values.items():
            if name == "genre":
                item.tags["genre"] = list(value)  # type: ignore[call-overload]
            else:
                setattr(item, name, value)
        item.guid = f"plex://movie/{self.rng.getrandbits(96):024x}"
        poster = PlexImage(
            rating_key=f"metadata://posters/tv.plex.agents.movie_{item.rating_key}",
            data=jpeg_bytes(f"agent-{item.rating_key}"),
            provider="tv.plex.agents.movie",
        )
        item.posters.append(poster)
        item.selected_poster = poster.rating_key
        item.thumb = f"/library/metadata/{item.rating_key}/thumb/{item.updated_at}"

    def _apply_sync(self, item: PlexItem, scene: StashScene, state: str) -> None:
        created, updated = int(scene.created_at.timestamp()), int(scene.updated_at.timestamp())
        synced = self.truth.sync_timestamps.get(scene.id)
        if synced is None:
            synced = float(between(self.rng, created, updated - 1) if state == STALE else updated)
            self.truth.sync_timestamps[scene.id] = synced
        written = max(item.added_at, int(synced)) + between(self.rng, 1, 300)
        item.updated_at = min(self.now_s, written)
        if state == WIPED:
            return  # an agent refresh after unlocking reverted everything
        source = scene if state == SYNCED else _previous_version(scene)
        desired: DesiredItem = desired_item(source, self.stash)
        for name, value in desired.fields.items():
            setattr(item, name, value)
        for kind, names in desired.tags.items():
            item.tags[kind] = list(names)
        item.locked |= desired.locks
        if scene.cover is not None:
            digest = hashlib.sha1(scene.cover).hexdigest()
            poster = PlexImage(f"upload://posters/{digest}", data=scene.cover)
            art = PlexImage(f"upload://arts/{digest}", data=scene.cover)
            item.posters.append(poster)
            item.arts.append(art)
            item.selected_poster, item.selected_art = poster.rating_key, art.rating_key
            item.thumb = f"/library/metadata/{item.rating_key}/thumb/{item.updated_at}"
            item.art = f"/library/metadata/{item.rating_key}/art/{item.updated_at}"
            item.locked |= {"thumb", "art"}


def _previous_version(scene: StashScene) -> StashScene:
    """The scene as it was at the stale sync: another title, one tag fewer."""
    title = f"{scene.title} (working title)" if scene.title else "Working Title"
    return dataclasses.replace(scene, title=title, tag_ids=scene.tag_ids[:-1])


def _agent_values(rng: random.Random) -> dict[str, object]:
    """What a metadata agent would write: real-looking metadata that is not the scene's."""
    year = between(rng, 1970, 2024)
    values: dict[str, object] = {
        "title": vocab.title(rng),
        "summary": vocab.details(rng),
        "studio": f"{vocab.words(rng, 1, 1).title()} Pictures",
        "year": year,
        "originally_available_at": f"{year}-{between(rng, 1, 12):02d}-{between(rng, 1, 28):02d}",
        "content_rating": pick(rng, ["R", "PG-13", "NC-17"]),
        "rating": round(rng.uniform(3.0, 9.5), 1),
        "genre": rng.sample(["Drama", "Comedy", "Thriller", "Romance", "Documentary"], 2),
    }
    if rng.random() < 0.1:  # a date without a year happens in real libraries
        del values["year"]
    return values


def _ms(fp: FilePlan) -> int:
    return int(fp.duration * 1000)


def _container(ext: str) -> str:
    return vocab.CONTAINERS.get("." + ext, ext)
