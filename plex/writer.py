"""Writing a scene's desired state to its Plex items: diff, one edit per changed item, images.

The Plex step reads the full items of a whole batch (`PlexClient.fetch_items`, ≤ 100 keys
per request); `PlexWriter.write` then handles one scene: each item is diffed against the
desired state and the fingerprints we stored (SPEC §2.5 clearing and `preserve_plex_edits`
rules, `plex.diff`), the cover is downloaded from Stash only when an image decision needs its
bytes, changed images are uploaded, and one PUT per changed item (split only above 8 KiB)
carries every field, tag and lock, the image locks included. Nothing changed → no request at
all. A 414 (URL too long) re-splits the edit; a field too long even alone fails the scene
with one line naming it.
A 400/401/403 refusal of one item's edit is narrowed down field by field (`plex.refusals`):
only the refused field fails, it is remembered (`WriteTask.refused`) and not sent again until
Stash's value changes. Over 400 lines for one reason: one scene's write (diff, images, the
414 split and the refusal split sharing the one request loop of `_send_edit`, bookkeeping)
reads top to bottom; their pure parts live in `plex.edit_encoding`, `plex.refusals`,
`plex.applied` (image checks) and `plex.baseline` (post-write baselines).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl

from base.errors import PlexAuthError, PlexNotFound, PlexTransient, StashError
from base.status import SceneStatus, status_of_error
from plex.applied import selected_now, upload_applied
from plex.baseline import moved_since
from plex.diff import EditPlan, ImageAction, PlexItemState, add_locks, diff_item, plan_images
from plex.edit_encoding import edit_path, encode_edit, wire_length
from plex.errors import PlexBadRequest, refusal_status
from plex.items import PlexItemSnapshot
from plex.refusals import (
    confirm_refusal,
    field_by_field,
    images_not_refused,
    names_in,
    only,
    refusal_line,
    skip_remembered,
    skip_remembered_images,
    without,
)
from stash.errors import ImageUnavailable
from sync_queue.refusals import StoredRefusal
from validation.desired import IMAGE_FIELDS, RULES, DesiredItem
from validation.fingerprint import fingerprint_value
from validation.limits import MAX_EDIT_QUERY_BYTES

__all__ = [
    "LOCKS_KEY",
    "SOURCE_KEYS",
    "WRITE_STATUSES",
    "ImageSource",
    "PlexWriter",
    "Target",
    "WriteClient",
    "WriteResult",
    "WriteTask",
    "locks_of",
]

Target = tuple[int, int]  # (section id, ratingKey)

# Bookkeeping stored beside the field fingerprints (names no Plex field can have):
# the lock names we set on the scene's items (what "Unlock Plex Fields" removes), and the
# fingerprint of the cover URL the stored image hash came from (Stash's screenshot URL
# carries `?t=<updated_at>`, so an unchanged URL means unchanged bytes: no download).
LOCKS_KEY = "@locks"
SOURCE_KEYS = {"poster": "@poster_url", "art": "@art_url"}

# Stash image URL -> bytes; raises ImageUnavailable (placeholder, HTML: "cover pending"),
# StashUnavailable or StashAuthError.
ImageSource = Callable[[str], bytes]


class WriteClient(Protocol):
    """The Plex calls the writer makes (`plex.client.PlexClient` provides them)."""

    def fetch_items(self, rating_keys: Iterable[int]) -> dict[int, PlexItemSnapshot]: ...

    def put_edit(self, section_id: int, query_string: str) -> None: ...

    def upload_image(self, rating_key: int, kind: str, data: bytes) -> None: ...

    def selected_image(self, rating_key: int, kind: str) -> str | None: ...


# What a write ends in (members of the one status type, base/status.py):
WRITE_STATUSES = (
    SceneStatus.SYNCED,  # at least one request changed Plex
    SceneStatus.UNCHANGED,  # every item already equal, locks included: no request
    SceneStatus.COVER_PENDING,  # fields done; Stash still serves a placeholder cover
    SceneStatus.PLEX_ERROR,  # Plex 5xx or a broken answer: retried
    SceneStatus.STASH_UNAVAILABLE,  # the cover could not be downloaded: retried
    SceneStatus.STASH_ERROR,  # likewise, Stash refused it
    SceneStatus.PLEX_REFUSED,  # Plex refused the request itself (400, 414): permanent
    SceneStatus.ITEM_GONE,  # an item vanished (404; `stale_keys`): resolve the scene again
)


@dataclass(frozen=True)
class WriteTask:
    """One scene to write: desired state, its items, and what we stored about it.

    `previous` fingerprints apply only to `previous_targets`: an item we never wrote gets a
    first push (nothing cleared, images uploaded).
    """

    desired: DesiredItem
    targets: tuple[Target, ...]
    previous: Mapping[str, str] = field(default_factory=dict)
    previous_targets: frozenset[Target] = frozenset()
    refused: tuple[StoredRefusal, ...] = ()  # remembered refusals: not sent again
    baselines: Mapping[int, Mapping[str, str]] = field(default_factory=dict)  # plex.baseline


@dataclass
class WriteResult:
    """What happened to one scene (`status` one of `WRITE_STATUSES`); `message` is the detail
    for the debug line and the queue. `fingerprints` (when not None) are to be stored;
    `written` names the fields and images a synced scene changed."""

    scene_id: int
    status: SceneStatus
    message: str = ""
    fingerprints: dict[str, str] | None = None
    edits: int = 0
    uploads: int = 0
    preserved: tuple[str, ...] = ()
    stale_keys: tuple[int, ...] = ()
    written: tuple[str, ...] = ()
    refused_now: tuple[StoredRefusal, ...] = ()  # refused by this write
    refused_before: tuple[StoredRefusal, ...] = ()  # remembered, so not sent

    @property
    def refusals(self) -> tuple[StoredRefusal, ...]:
        """Every refusal still standing for the scene (what to remember)."""
        return (*self.refused_now, *self.refused_before)

    @property
    def complete(self) -> bool:
        """Fields and images are as desired (a pending cover counts: it is not ours to fix)."""
        return self.status in (SceneStatus.SYNCED, SceneStatus.UNCHANGED, SceneStatus.COVER_PENDING)


def locks_of(fingerprints: Mapping[str, str]) -> tuple[str, ...]:
    """Lock names recorded in a scene's stored fingerprints (sorted)."""
    raw = fingerprints.get(LOCKS_KEY, "")
    return tuple(sorted(name for name in raw.split(",") if name))


@dataclass
class _Cover:
    """The cover bytes of one scene, fetched at most once."""

    sha1: str | None = None
    data: bytes | None = None
    pending: str = ""  # why there is no usable image (placeholder, HTML)
    error: str = ""  # Stash failed to serve it (transient)
    error_status: SceneStatus | None = None


@dataclass
class _ItemWork:
    target: Target
    snapshot: PlexItemSnapshot
    known: bool
    plan: EditPlan
    state: PlexItemState
    images: tuple[ImageAction, ...] = ()


class PlexWriter:
    """Writes scenes to Plex through `client`; images come from `images` (Stash)."""

    def __init__(
        self,
        client: WriteClient,
        images: ImageSource,
        *,
        preserve_plex_edits: bool = False,
    ) -> None:
        self.client = client
        self.images = images
        self.preserve_plex_edits = preserve_plex_edits

    def write(self, task: WriteTask, snapshots: Mapping[int, PlexItemSnapshot]) -> WriteResult:
        """Bring the scene's items to the desired state (see module docstring).

        Raises PlexServerDown / PlexAuthError (the run must stop); every other failure is
        reported in the result.
        """
        scene_id = task.desired.scene_id
        work: list[_ItemWork] = []
        before: list[StoredRefusal] = []  # remembered refusals: not sent
        for target in task.targets:
            snapshot = snapshots.get(target[1])
            if snapshot is None:
                return WriteResult(
                    scene_id,
                    SceneStatus.ITEM_GONE,
                    f"Plex item {target[1]} no longer exists",
                    stale_keys=(target[1],),
                )
            known = target in task.previous_targets
            previous = task.previous if known else {}
            baseline = task.baselines.get(target[1]) if known else None
            state = self._image_state(task, snapshot, baseline)
            plan = diff_item(state, task.desired, previous, self.preserve_plex_edits, baseline)
            plan, skipped = skip_remembered(plan, task.refused, task.desired, previous)
            before += skipped
            work.append(_ItemWork(target, snapshot, known, plan, state))

        cover = self._cover(task, work)
        for item in work:
            # Without fresh bytes the stored hash still decides (lock-only when Plex lost it).
            sha1 = {k: cover.sha1 or self._stored_sha1(task, item, k) for k in IMAGE_FIELDS}
            previous = task.previous if item.known else {}
            item.images = plan_images(
                item.state, task.desired, sha1, previous, self.preserve_plex_edits
            )
            item.images, skipped = skip_remembered_images(item.images, item.target[1], task.refused)
            before += skipped

        edits = uploads = 0
        sent: list[str] = []
        too_long: list[str] = []
        refused: list[StoredRefusal] = []
        try:
            for item in work:
                for action in item.images:
                    if action.upload:
                        assert cover.data is not None
                        sent_now = self._upload(item, action, cover.data, refused)
                        uploads += abs(sent_now)
                        if sent_now < 0:
                            return self._not_applied(scene_id, item, action, edits, uploads)
                item.images = images_not_refused(item.images, item.target[1], refused)
                locks = [a.lock_name for a in item.images if a.lock]
                plan = add_locks(item.plan, locks)
                too_long += self._send_edit(item.target, plan, sent, task.desired, refused)
                edits = len(sent)
                previous = task.previous if item.known else {}
                item.plan = without(
                    item.plan,
                    [r.field for r in refused if r.rating_key == item.target[1]],
                    previous,
                )
        except PlexNotFound:
            return WriteResult(
                scene_id,
                SceneStatus.ITEM_GONE,
                f"Plex item {item.target[1]} disappeared while writing",
                stale_keys=(item.target[1],),
                edits=edits,
                uploads=uploads,
            )
        except PlexTransient as exc:
            return WriteResult(
                scene_id, status_of_error(exc), str(exc), edits=edits, uploads=uploads
            )
        except PlexBadRequest as exc:
            request = getattr(exc, "request", "")
            detail = f" ({request[:300]})" if request else ""
            return WriteResult(
                scene_id, status_of_error(exc), f"{exc}{detail}", edits=edits, uploads=uploads
            )

        edits = len(sent)
        if too_long:
            return WriteResult(
                scene_id,
                SceneStatus.PLEX_REFUSED,
                f"Plex refused {'; '.join(too_long)} as too long (414 URI Too Long): Plex or a "
                "proxy in front of it limits the URL length; shorten it in Stash or raise that "
                "limit (the scene's other fields were written)",
                edits=edits,
                uploads=uploads,
            )
        fingerprints = self._fingerprints(task, work, cover)
        if refused or before:
            return WriteResult(
                scene_id,
                SceneStatus.PLEX_REFUSED,
                refusal_line(refused, before),
                fingerprints,
                edits,
                uploads,
                written=self._written(work) if edits or uploads else (),
                refused_now=tuple(refused),
                refused_before=tuple(before),
            )
        preserved = tuple(dict.fromkeys(n for item in work for n in item.plan.preserved))
        if cover.pending:
            status, message = SceneStatus.COVER_PENDING, f"cover pending: {cover.pending}"
        elif cover.error_status is not None:
            status, message = cover.error_status, f"cover not downloaded: {cover.error}"
        elif edits or uploads:
            status, message = SceneStatus.SYNCED, ""
        else:
            status, message = SceneStatus.UNCHANGED, ""
        if preserved and not message:
            message = f"kept hand edits in Plex: {', '.join(preserved)}"
        return WriteResult(
            scene_id,
            status,
            message,
            fingerprints,
            edits,
            uploads,
            preserved=preserved,
            written=self._written(work) if edits or uploads else (),
        )

    @staticmethod
    def _not_applied(
        scene_id: int, item: _ItemWork, action: ImageAction, edits: int, uploads: int
    ) -> WriteResult:
        """Plex answered the uploads but never showed the image selected: retried later."""
        return WriteResult(
            scene_id,
            SceneStatus.PLEX_ERROR,
            f"Plex accepted the {action.kind} of item {item.target[1]} but did not apply it;"
            " will try again later",
            edits=edits,
            uploads=uploads,
        )

    def _image_state(
        self, task: WriteTask, snapshot: PlexItemSnapshot, baseline: Mapping[str, str] | None
    ) -> PlexItemState:
        """The item's state; for an item changed in Plex since our last write (`updatedAt`
        moved) with the images Plex has selected now, one GET each (the `thumb` epoch cannot
        tell: it equals `updatedAt`, which any edit moves)."""
        state = snapshot.to_state()
        urls = self._urls(task.desired)
        kinds = [kind for kind in IMAGE_FIELDS if urls.get(kind) and task.previous.get(kind)]
        if not kinds or not moved_since(snapshot, baseline):
            return state
        return selected_now(self.client, state, kinds)

    @staticmethod
    def _written(work: list[_ItemWork]) -> tuple[str, ...]:
        """Names of the fields, tag kinds and images the scene's requests changed."""
        names: list[str] = []
        for item in work:
            names += [change.field for change in item.plan.fields]
            names += [change.kind for change in item.plan.tags]
            names += [action.kind for action in item.images if action.upload]
            if item.plan.lock_only or any(a.lock and not a.upload for a in item.images):
                names.append("locks")
        return tuple(dict.fromkeys(names))

    def _send_edit(
        self,
        target: Target,
        plan: EditPlan,
        sent: list[str],
        desired: DesiredItem,
        refusals: list[StoredRefusal],
    ) -> list[str]:
        """Send `plan`'s edit queries (appended to `sent`); what 414 refused even alone.
        Other refusals go field by field (`plex.refusals.field_by_field`), the refused ones
        to `refusals`.

        The size limit counts the whole request line (`PUT <path>?<query> HTTP/1.1`), which is
        what proxies and servers limit. A 414 re-splits the plan at half the refused size:
        every edit query is idempotent (values, a whole add list, removals), so resending is
        safe. A query of one unit (a field with its lock, one tag kind's add list) cannot be
        cut: it is reported and the other queries are still sent.
        """
        section_id, rating_key = target
        overhead = len(f"PUT {edit_path(section_id, '')} HTTP/1.1\r\n")
        pending = encode_edit(plan, max_bytes=MAX_EDIT_QUERY_BYTES - overhead)
        refused: list[str] = []
        done: set[str] = set()
        while pending:
            query = pending.pop(0)
            if query in done:
                continue
            try:
                self.client.put_edit(section_id, query)
            except (PlexBadRequest, PlexAuthError) as exc:
                status = refusal_status(exc)
                if status is not None:
                    confirm_refusal(exc, lambda: self.client.fetch_items([rating_key]))
                    done.add(query)
                    part = only(plan, names_in(query))
                    refusals += field_by_field(
                        self.client.put_edit, target, part, desired, sent, status
                    )
                    continue
                if getattr(exc, "status", None) != 414:
                    raise
                done.add(query)
                size = wire_length(query)
                smaller = encode_edit(plan, max_bytes=size // 2)
                if query in smaller:
                    names = sorted({k.split("[")[0].split(".")[0] for k, _ in parse_qsl(query)})
                    names = [n for n in names if n not in ("id", "type")]
                    refused.append(
                        f"the {', '.join(names)} edit of item {rating_key} ({size + overhead:,}"
                        " bytes)"
                    )
                else:
                    pending = [q for q in smaller if q not in done]
                continue
            done.add(query)
            sent.append(query)
        return refused

    def _upload(
        self, item: _ItemWork, action: ImageAction, data: bytes, refused: list[StoredRefusal]
    ) -> int:
        """Upload one image until Plex shows it selected (`plex.applied`): the uploads sent,
        negative when it never applied, 0 when Plex refused it for this item (recorded)."""
        rating_key = item.target[1]
        try:
            return upload_applied(self.client, rating_key, action.kind, data, action.sha1)
        except (PlexBadRequest, PlexAuthError) as exc:
            status = refusal_status(exc)
            if status is None:
                raise
            confirm_refusal(exc, lambda: self.client.fetch_items([rating_key]))
            refused.append(StoredRefusal(rating_key, action.kind, action.sha1, status))
            return 0

    # -- images -------------------------------------------------------------------------------

    @staticmethod
    def _urls(desired: DesiredItem) -> dict[str, str | None]:
        return {"poster": desired.poster_url, "art": desired.art_url}

    def _stored_sha1(self, task: WriteTask, item: _ItemWork, kind: str) -> str | None:
        """The stored image hash when it still describes this URL's bytes on this item."""
        url = self._urls(task.desired)[kind]
        stored = task.previous.get(kind)
        if not (item.known and url and stored):
            return None
        if task.previous.get(SOURCE_KEYS[kind]) != fingerprint_value(url):
            return None
        return stored

    def _needs_bytes(self, task: WriteTask, work: list[_ItemWork]) -> str | None:
        """The cover URL to download, or None when stored hashes decide everything."""
        for kind, url in self._urls(task.desired).items():
            if not url:
                continue
            if any(self._stored_sha1(task, item, kind) is None for item in work):
                return url
            if not self.preserve_plex_edits and any(
                self._replaced(task, item, kind) for item in work
            ):
                return url  # replaced in Plex behind our back: the bytes go up again
        return None

    @staticmethod
    def _replaced(task: WriteTask, item: _ItemWork, kind: str) -> bool:
        selected = getattr(item.state, f"selected_{kind}")
        stored = task.previous.get(kind)
        return selected is not None and not (stored and selected.endswith(stored))

    def _cover(self, task: WriteTask, work: list[_ItemWork]) -> _Cover:
        url = self._needs_bytes(task, work)
        if url is None:
            return _Cover()
        try:
            data = self.images(url)
        except ImageUnavailable as exc:
            return _Cover(pending=exc.reason)
        except StashError as exc:
            return _Cover(error=str(exc), error_status=status_of_error(exc))
        return _Cover(sha1=hashlib.sha1(data).hexdigest(), data=data)

    # -- bookkeeping --------------------------------------------------------------------------

    def _fingerprints(
        self, task: WriteTask, work: list[_ItemWork], cover: _Cover
    ) -> dict[str, str]:
        """Fingerprints to store for the scene once every request succeeded.

        Items share one record: the first item we wrote before decides (its `previous` was
        the stored record), the others only add what it lacks; image hashes change only when
        an image action was taken for this URL's bytes.
        """
        ordered = sorted(work, key=lambda item: not item.known)
        merged: dict[str, str] = dict(ordered[0].plan.new_fingerprints) if ordered else {}
        for item in ordered[1:]:
            for name, value in item.plan.new_fingerprints.items():
                merged.setdefault(name, value)
        if not any(item.known for item in work):
            # No item was written before: keep image bookkeeping of earlier items, if any.
            for kind in IMAGE_FIELDS:
                for key in (kind, SOURCE_KEYS[kind]):
                    if key in task.previous and key not in merged:
                        merged[key] = task.previous[key]
        urls = self._urls(task.desired)
        for kind in IMAGE_FIELDS:
            acted = [a for item in work for a in item.images if a.kind == kind]
            url = urls[kind]
            if url and cover.sha1 is not None and acted:
                merged[kind] = cover.sha1
                merged[SOURCE_KEYS[kind]] = fingerprint_value(url)
            elif (
                url
                and cover.sha1 is not None
                and all(self._has_image(task, item, kind, cover.sha1) for item in work)
            ):
                # Same bytes as already on every item: remember the URL they came from.
                merged[kind] = cover.sha1
                merged[SOURCE_KEYS[kind]] = fingerprint_value(url)
        locks = set(locks_of(task.previous))
        for item in work:
            locks.update(item.plan.locks)
            locks.update(a.lock_name for a in item.images if a.lock)
            locks.update(RULES[n].lock for n in item.plan.new_fingerprints if n in RULES)
        merged[LOCKS_KEY] = ",".join(sorted(locks))
        return merged

    @staticmethod
    def _has_image(task: WriteTask, item: _ItemWork, kind: str, sha1: str) -> bool:
        return item.known and task.previous.get(kind) == sha1
