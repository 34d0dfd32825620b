"""Plex refusing one edit of one item (issue 15): the field-by-field pieces of an edit plan,
the probe telling a per-item refusal from a revoked token, and the scene's one line.

A 400, 401 or 403 on an edit PUT is narrowed down to the fields Plex refuses by sending them
one at a time (edits are idempotent, as for the 414 split). A 401 or 403 first costs one
cheap read of the same item: if Plex answers it, the token works and the refusal belongs to
this item; if the read is refused too, the token is revoked and the run stops as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl

from base.errors import PlexAuthError
from plex.diff import ImageAction
from plex.edit_encoding import EditPlan, encode_edit
from plex.errors import PlexBadRequest, refusal_status
from sync_queue.refusals import StoredRefusal
from validation.desired import RULES, DesiredItem
from validation.fingerprint import fingerprint_value

__all__ = [
    "confirm_refusal",
    "field_by_field",
    "images_not_refused",
    "names_in",
    "only",
    "refusal_line",
    "skip_remembered",
    "skip_remembered_images",
    "unit_names",
    "value_fingerprint",
    "without",
]

_LOCK_ONLY = "locked"  # the "value" of a lock-only edit
_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


def unit_names(plan: EditPlan) -> list[str]:
    """The edit names of `plan`, one per unit that can be sent alone."""
    names = [c.field for c in plan.fields] + [t.kind for t in plan.tags] + list(plan.lock_only)
    return list(dict.fromkeys(names))


def names_in(query: str) -> set[str]:
    """Edit names an encoded query touches (`summary.value` -> `summary`, `genre[0]...`)."""
    return {key.split("[")[0].split(".")[0] for key, _ in parse_qsl(query)} - {"id", "type"}


def only(plan: EditPlan, names: Iterable[str]) -> EditPlan:
    """`plan` reduced to the units named."""
    keep = set(names)
    return dataclasses.replace(
        plan,
        fields=tuple(c for c in plan.fields if c.field in keep),
        tags=tuple(t for t in plan.tags if t.kind in keep),
        lock_only=tuple(n for n in plan.lock_only if n in keep),
    )


def without(plan: EditPlan, names: Iterable[str], previous: Mapping[str, str]) -> EditPlan:
    """`plan` without the units named; their fingerprints stay what we stored before (the
    refused value was not pushed)."""
    drop = set(names)
    if not drop:
        return plan
    reduced = only(plan, [n for n in unit_names(plan) if n not in drop])
    fingerprints = dict(plan.new_fingerprints)
    for name in drop:
        if name in previous:
            fingerprints[name] = previous[name]
        else:
            fingerprints.pop(name, None)
    return dataclasses.replace(reduced, new_fingerprints=fingerprints)


def value_fingerprint(desired: DesiredItem, name: str) -> str:
    """Fingerprint of the value an edit of `name` carries (a lock-only name: a constant)."""
    if name in RULES and name in desired.managed():
        return fingerprint_value(desired.managed()[name])
    if name in RULES:
        return fingerprint_value(None)  # a clear
    return _LOCK_ONLY


def skip_remembered(
    plan: EditPlan,
    remembered: Iterable[StoredRefusal],
    desired: DesiredItem,
    previous: Mapping[str, str],
) -> tuple[EditPlan, list[StoredRefusal]]:
    """`plan` without the edits Plex refused before with the same value, and those refusals
    (a value changed in Stash since is sent again)."""
    names = unit_names(plan)
    hits = [
        r
        for r in remembered
        if r.rating_key == plan.rating_key
        and r.field in names
        and r.fingerprint == value_fingerprint(desired, r.field)
    ]
    return without(plan, [r.field for r in hits], previous), hits


def skip_remembered_images(
    actions: tuple[ImageAction, ...], rating_key: int, remembered: Iterable[StoredRefusal]
) -> tuple[tuple[ImageAction, ...], list[StoredRefusal]]:
    """`actions` without the uploads Plex refused before for the same bytes."""
    hits = [
        r
        for r in remembered
        for a in actions
        if a.upload and r.rating_key == rating_key and (r.field, r.fingerprint) == (a.kind, a.sha1)
    ]
    return images_not_refused(actions, rating_key, hits), hits


def images_not_refused(
    actions: tuple[ImageAction, ...], rating_key: int, refused: Iterable[StoredRefusal]
) -> tuple[ImageAction, ...]:
    """`actions` without those of an image kind refused on this item (nor its lock)."""
    kinds = {r.field for r in refused if r.rating_key == rating_key}
    return tuple(a for a in actions if a.kind not in kinds)


def field_by_field(
    put: Callable[[int, str], None],
    target: tuple[int, int],
    plan: EditPlan,
    desired: DesiredItem,
    sent: list[str],
    status: int,
) -> list[StoredRefusal]:
    """Send each unit of an edit Plex refused with `status` alone through `put` (the refusal
    is already known to be this item's); sent queries are appended to `sent`, the units Plex
    refuses again returned. A single unit is not sent twice. Edits are idempotent, so
    resending the units that were in the refused request is safe (as for the 414 split)."""
    section_id, rating_key = target
    names = unit_names(plan)
    if len(names) == 1:
        return [StoredRefusal(rating_key, names[0], value_fingerprint(desired, names[0]), status)]
    refused: list[StoredRefusal] = []
    for name in names:
        for query in encode_edit(only(plan, [name])):
            try:
                put(section_id, query)
            except (PlexBadRequest, PlexAuthError) as exc:
                again = refusal_status(exc)
                if again is None:
                    raise
                fingerprint = value_fingerprint(desired, name)
                refused.append(StoredRefusal(rating_key, name, fingerprint, again))
                break
            sent.append(query)
    return refused


def confirm_refusal(exc: Exception, read: Callable[[], object]) -> None:
    """Re-raise `exc` when it is a 401/403 and `read` (one cheap GET) is refused as well:
    then the token is revoked, not this item's edit refused."""
    if not isinstance(exc, PlexAuthError):
        return
    try:
        read()
    except PlexAuthError:
        raise exc from None


def refusal_line(now: Iterable[StoredRefusal], before: Iterable[StoredRefusal]) -> str:
    """One line for the scene: each item, field and status Plex refused."""
    parts = [
        f"Plex refused the {r.field} edit of item {r.rating_key} ({_status(r.status)})" for r in now
    ]
    parts += [
        f"the {r.field} edit of item {r.rating_key} was refused before ({_status(r.status)}) "
        "and is not sent again until it changes in Stash or you run Retry Failed"
        for r in before
    ]
    return "; ".join(parts) + "; the scene's other fields were written"


def _status(status: int) -> str:
    reason = _REASONS.get(status)
    return f"{status} {reason}" if reason else str(status)
