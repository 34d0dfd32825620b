"""The collection pass (issue 19): after each batch's scene writes, the collections those scenes
show get the details of their Stash group or studio; before them, renamed entities rename
the collections we own.

`worker.collection_step.with_collections` wraps the run's Plex step with it, so the scene step
itself is untouched. Per batch:
- before the scene writes: a group or studio renamed since our last write gets its collection's
  title edited (the scene writes then find the new tag in place); names the batch pushes that
  were never decided in a section the batch may write to get that section's collections
  listed once per run (the state before our tag push);
- after them: the synced scenes' (section, collection) pairs; an undecided pair is decided
  with one more listing of the section (ours when it appeared after our push, else not ours,
  forever); for the collections we own, one Stash request per 100 entities for their
  details, and `plex.collection_writer.write_collection` for each whose fingerprint changed;
  a group's members are learnt;
- at the end of the run (`close`): `write_order` once for each group whose members changed.
An unchanged re-sync costs no Plex request here (every pair decided, every fingerprint equal)
and one Stash request per batch holding owned collections. Trouble with a collection is one
warning line and never changes a scene's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from base.errors import (
    PlexAuthError,
    PlexError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    StashError,
    StashUnavailable,
)
from base.status import SceneStatus
from plex.client import PlexClient
from plex.collection_plan import CollectionRef, choose_source, clean_details, member_key, scene_refs
from plex.collection_writer import (
    Details,
    WriteReport,
    order_fingerprint,
    rename_collection,
    write_collection,
    write_order,
)
from plex.collections import PlexCollections
from stash.entity_details import fetch_entity_details
from sync_queue.collection_state import CollectionRow, CollectionStore
from validation.desired import DesiredOptions, Skip, build_desired
from worker.outcomes import Outcome
from worker.step import StepContext

__all__ = ["OUTAGES", "CollectionPass"]

# Plex or Stash not answering: the scene step says so once; the pass stops quietly.
OUTAGES = (PlexServerDown, PlexAuthError, PlexTransient, StashUnavailable)
# Outcomes whose items carry the scene's collection tags now.
_TAGGED = (SceneStatus.SYNCED, SceneStatus.UNCHANGED, SceneStatus.COVER_PENDING)


class CollectionPass:
    """One run's collection work (listings cached for the run)."""

    def __init__(self, client: PlexClient, options: DesiredOptions, library: Any = None) -> None:
        self.client = client
        self.api = PlexCollections(client)
        self.options = options
        self.library = library
        self.listed: dict[int, dict[str, int]] = {}  # section → name → ratingKey, kept current
        self._sections: list[int] | None = None
        self.totals = WriteReport()
        self.described = 0
        self.pending_order: dict[tuple[int, str], int] = {}  # group collections to order

    # -- helpers ------------------------------------------------------------------------------

    def _refs(self, scene: Mapping[str, Any]) -> list[CollectionRef]:
        desired = build_desired(scene, self.options)
        if isinstance(desired, Skip):
            return []
        return scene_refs(scene, desired.tags.get("collection", ()))

    def _all_sections(self) -> list[int]:
        if self._sections is None:
            self._sections = [s.id for s in self.client.sections(self.library)]
        return self._sections

    # -- before the scene writes --------------------------------------------------------------

    def before(self, scenes: list[dict[str, Any]], ctx: StepContext) -> None:
        store = ctx.sync_state.collections
        refs = {int(s["id"]): self._refs(s) for s in scenes if str(s.get("id", "")).isdigit()}
        names = {(r.kind, r.entity_id): r.name for rs in refs.values() for r in rs}
        if not names:
            return
        for row in store.by_entities(names):
            title = names[(row.kind, row.entity_id)]
            if row.name_key != title.casefold() or row.title != title:
                self._rename(store, row, title, ctx)
        previous = ctx.sync_state.get_many(refs)
        wanted: set[tuple[int, str]] = set()
        for sid, scene_refs_ in refs.items():
            state = previous.get(sid)
            sections = (
                {s for s, _ in state.targets} if state and state.targets else self._all_sections()
            )
            wanted |= {(section, r.key) for section in sections for r in scene_refs_}
        decided = {row.key for row in store.by_names({key for _, key in wanted})}
        for section in sorted({s for s, key in wanted - decided}):
            if section not in self.listed:
                self.listed[section] = self.api.listing(section)

    def _rename(
        self, store: CollectionStore, row: CollectionRow, title: str, ctx: StepContext
    ) -> None:
        old = row.title
        report = rename_collection(self.api, row, title)
        self._add(report)
        if "title" in report.kept:
            if row.state.get("kept_title") != title:  # said once per new name
                row.state["kept_title"] = title
                store.put_many([row])
                ctx.log.info(
                    f"Collection '{old}' was renamed by hand in Plex; Stash's new name "
                    f"'{title}' is not applied to it"
                )
            return
        row.name_key = title.casefold()
        store.put_many([row])
        listed = self.listed.get(row.section_id)
        if listed is not None:
            listed.pop(old.casefold(), None)
            listed[row.name_key] = row.rating_key
        ctx.log.debug(f"Collection '{old}' renamed to '{title}' (Plex {row.rating_key})")

    # -- after the scene writes ---------------------------------------------------------------

    def after(
        self, scenes: list[dict[str, Any]], outcomes: Mapping[int, Outcome], ctx: StepContext
    ) -> None:
        tagged = {
            int(s["id"]): s
            for s in scenes
            if str(s.get("id", "")).isdigit()
            and (o := outcomes.get(int(s["id"]))) is not None
            and o.status in _TAGGED
        }
        if not tagged:
            return
        states = ctx.sync_state.get_many(tagged)
        pairs: dict[tuple[int, str], dict[str, Any]] = {}
        for sid, scene in tagged.items():
            state = states.get(sid)
            if state is None:
                continue
            retagged = "collection" in outcomes[sid].written
            for ref in self._refs(scene):
                for section in {s for s, _ in state.targets}:
                    keys = sorted(rk for s, rk in state.targets if s == section)
                    entry = pairs.setdefault((section, ref.key), {"refs": set(), "scenes": {}})
                    entry["refs"].add(ref)
                    entry["scenes"][sid] = (scene, keys)
                    entry["retagged"] = entry.get("retagged", False) or retagged
        if not pairs:
            return
        store = ctx.sync_state.collections
        rows = {row.key: row for row in store.by_names({key for _, key in pairs})}
        fresh = self._decide(pairs, rows)
        owned = [rows[k] for k in pairs if k in rows and rows[k].owned]
        if not owned:
            store.put_many(fresh)
            return
        sources = {k: choose_source(pairs[k]["refs"]) for k in pairs if k in rows}
        details = fetch_entity_details(
            ctx.stash,  # type: ignore[arg-type]
            {(sources[r.key][0].kind, sources[r.key][0].entity_id) for r in owned},
        )
        changed = {id(r): r for r in fresh}
        try:
            self._describe(ctx, owned, sources, details, pairs, changed)
        finally:
            store.put_many(changed.values())  # decisions and members learnt are kept

    def _describe(
        self,
        ctx: StepContext,
        owned: list[CollectionRow],
        sources: Mapping[tuple[int, str], tuple[CollectionRef, bool]],
        details: Mapping[tuple[str, int], Any],
        pairs: Mapping[tuple[int, str], dict[str, Any]],
        changed: dict[int, CollectionRow],
    ) -> None:
        for row in owned:
            source, shared = sources[row.key]
            info = details.get((source.kind, source.entity_id))
            if info is None:
                continue  # deleted in Stash meanwhile: the next sync of its scenes settles it
            if shared and not row.state.get("shared"):
                row.state["shared"] = True
                ctx.log.info(
                    f"Collection '{source.name}' is both a group and a studio in Stash; it shows "
                    "the group's synopsis, image and scene order"
                )
            row.kind, row.entity_id = source.kind, source.entity_id
            if source.kind == "group":
                _members(row, source.entity_id, pairs[row.key]["scenes"])
                if row.state.get("order_fp") != order_fingerprint(row):
                    self.pending_order[row.key] = row.rating_key
            wanted = Details(
                title=row.title or source.name,
                summary=clean_details(info.summary),
                image_url=info.image_url,
                ordered=source.kind == "group",
            )
            changed[id(row)] = row  # members learnt are kept even when Plex fails below
            try:
                try:
                    report = write_collection(self.api, ctx.stash.fetch_image, row, wanted)
                except PlexNotFound:
                    if not self._found_again(row):
                        raise
                    report = write_collection(self.api, ctx.stash.fetch_image, row, wanted)
            except OUTAGES:
                raise
            except (PlexError, StashError) as exc:
                ctx.log.warning(
                    f"Collection '{row.title}' was not described this time ({exc}); the next "
                    "sync of its scenes tries again"
                )
                continue
            self._done(ctx, row, report)

    def _found_again(self, row: CollectionRow) -> bool:
        """Our collection answered 404: look for the one of that name now (see `_adopt`)."""
        listing = self.api.listing(row.section_id)
        self.listed[row.section_id] = listing
        if not _adopt(row, listing.get(row.name_key)):
            return False
        if row.kind == "group":
            self.pending_order[row.key] = row.rating_key
        return True

    def _done(self, ctx: StepContext, row: CollectionRow, report: WriteReport) -> None:
        self._add(report)
        if report.writes:
            self.described += 1
            kept = f"; kept hand edits: {', '.join(report.kept)}" if report.kept else ""
            ctx.log.debug(
                f"Collection '{row.title}' (Plex {row.rating_key}): {report.edits} edit(s), "
                f"{report.uploads} upload(s), {report.sorts} sort change(s), "
                f"{report.moves} move(s){kept}"
            )

    def flush(self, ctx: StepContext) -> None:
        """The run's end: every group collection whose members changed is put in scene_index
        order once (batches only learn members, so a first sync costs items - 1 moves at
        most, not that per batch)."""
        pending, self.pending_order = self.pending_order, {}
        if not pending:
            return
        store = ctx.sync_state.collections
        rows = {r.key: r for r in store.by_names({key for _, key in pending})}
        for key, rating_key in sorted(pending.items()):
            row = rows.get(key)
            if row is None or row.rating_key != rating_key or not row.owned:
                continue
            try:
                report = write_order(self.api, row)
            except OUTAGES:
                raise
            except PlexError as exc:
                ctx.log.warning(
                    f"Collection '{row.title}' was not put in scene order this time ({exc}); "
                    "the next sync of its scenes tries again"
                )
                continue
            store.put_many([row])
            self._done(ctx, row, report)

    def _decide(
        self, pairs: Mapping[tuple[int, str], dict[str, Any]], rows: dict[tuple[int, str], Any]
    ) -> list[CollectionRow]:
        """Ours or not, for pairs never decided: one listing per section after our push,
        compared with the listing from before it."""
        undecided = [k for k in pairs if k not in rows]
        # Ours, and its items tagged again by this batch: Plex may have made a new one (ours
        # was deleted by hand), which the listing shows under another ratingKey.
        retagged = [k for k in pairs if pairs[k].get("retagged") and k in rows and rows[k].owned]
        fresh: list[CollectionRow] = []
        for section in sorted({s for s, _ in undecided} | {s for s, _ in retagged}):
            before = self.listed.get(section)
            after = self.api.listing(section)
            self.totals.reads += 1
            self.listed[section] = after
            for key in [k for k in retagged if k[0] == section]:
                if _adopt(rows[key], after.get(key[1])):
                    fresh.append(rows[key])
                    if rows[key].kind == "group":
                        self.pending_order[key] = rows[key].rating_key
            if before is None:
                continue  # no state from before our push (cannot happen after `before`)
            for key in [k for k in undecided if k[0] == section]:
                rating_key = after.get(key[1])
                if rating_key is None:
                    continue  # not in Plex (the tag write failed): decided later
                source, _ = choose_source(pairs[key]["refs"])
                row = CollectionRow(
                    section,
                    key[1],
                    rating_key,
                    owned=key[1] not in before,
                    kind=source.kind,
                    entity_id=source.entity_id,
                    title=source.name,
                )
                rows[key] = row
                fresh.append(row)
        return fresh

    def _add(self, report: WriteReport) -> None:
        for name in ("reads", "edits", "uploads", "sorts", "moves"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(report, name))


def _adopt(row: CollectionRow, rating_key: int | None) -> bool:
    """Our collection was deleted by hand and Plex made a new one when our scene writes
    tagged the items again: the new one is ours (it appeared after our tag push). Its details
    and order start afresh; the members stay."""
    if rating_key is None or rating_key == row.rating_key:
        return False
    row.rating_key = rating_key
    members = row.state.get("members")
    row.state = {"members": members} if members else {}
    return True


def _members(
    row: CollectionRow, group_id: int, scenes: Mapping[int, tuple[Mapping[str, Any], list[int]]]
) -> bool:
    """Update the group's members from this batch's scenes; True when one is new or moved."""
    members = row.state.get("members")
    if not isinstance(members, dict):
        members = row.state["members"] = {}
    changed = False
    for sid, (scene, keys) in scenes.items():
        entry = [*member_key(scene, group_id), keys]
        if members.get(str(sid)) != entry:
            members[str(sid)] = entry
            changed = True
    return changed
