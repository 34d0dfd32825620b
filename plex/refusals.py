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
from plex.edit_encoding import EditPlan
from sync_queue.refusals import StoredRefusal
from validation.desired import RULES, DesiredItem
from validation.fingerprint import fingerprint_value

__all__ = [
    "confirm_refusal",
    "names_in",
    "only",
    "refusal_line",
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
