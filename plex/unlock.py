"""Removing the field locks Stash2Plex set, for users leaving it (task "Unlock Plex Fields").

The sync state records, per scene, the Plex items written and the lock names set on them
(`plex.writer.LOCKS_KEY`). One request unlocks one field (or several fields with the very same
items) on up to 1,000 items of a section, with plexapi's multi-item edit form
(`id=1,2,3&title.locked=0&type=1`): a library costs a few dozen requests, not one per item.
A request naming an item Plex no longer has (404) is sent again without the gone items, which a
multi-fetch of that chunk finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from base.errors import PlexNotFound, PlexTransient
from plex.edit_encoding import encode_params
from plex.errors import PlexBadRequest
from plex.items import PlexItemSnapshot
from plex.writer import LOCKS_KEY, locks_of
from sync_queue.sync_state import SceneSyncState
from validation.desired import RULES

__all__ = ["IDS_PER_REQUEST", "UnlockReport", "group_locks", "unlock_fields"]

IDS_PER_REQUEST = 1000  # ~7 KB of ids: within the 8 KiB query limit

Group = tuple[int, tuple[str, ...]]  # (section id, lock names)


class UnlockClient(Protocol):
    def put_edit(self, section_id: int, query_string: str) -> None: ...

    def fetch_items(self, rating_keys: Iterable[int]) -> dict[int, PlexItemSnapshot]: ...


@dataclass
class UnlockReport:
    scenes: int = 0
    items: int = 0
    unlocked: set[int] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def _lock_names(fingerprints: Mapping[str, str]) -> tuple[str, ...]:
    names = locks_of(fingerprints)
    if names or LOCKS_KEY in fingerprints:
        return names
    # Written before lock names were recorded: every field we hold a fingerprint for.
    return tuple(sorted({RULES[n].lock for n in fingerprints if n in RULES}))


def group_locks(states: Iterable[SceneSyncState]) -> dict[Group, list[int]]:
    """Items to unlock: per section, the fields sharing exactly the same items go together
    (most items carry most of our locks, so a library has about 10-20 groups per section)."""
    per_field: dict[tuple[int, str], dict[int, None]] = {}
    for state in states:
        for name in _lock_names(state.fingerprints):
            for section_id, rating_key in state.targets:
                per_field.setdefault((int(section_id), name), {})[int(rating_key)] = None
    merged: dict[tuple[int, tuple[int, ...]], list[str]] = {}
    for (section_id, name), keys in per_field.items():
        merged.setdefault((section_id, tuple(sorted(keys))), []).append(name)
    return {(sid, tuple(sorted(names))): list(keys) for (sid, keys), names in merged.items()}


def _query(rating_keys: list[int], names: tuple[str, ...]) -> str:
    params = {f"{name}.locked": "0" for name in names}
    params["id"] = ",".join(str(k) for k in rating_keys)
    params["type"] = "1"
    return encode_params(params)


def unlock_fields(
    client: UnlockClient,
    states: Iterable[SceneSyncState],
    *,
    progress: Callable[[float], None] = lambda _: None,
) -> UnlockReport:
    """Send `<field>.locked=0` for every lock we set; PlexServerDown/PlexAuthError propagate."""
    state_list = list(states)
    groups = group_locks(state_list)
    report = UnlockReport(scenes=sum(1 for s in state_list if s.targets))
    report.items = len({rk for keys in groups.values() for rk in keys})
    total = sum(len(keys) for keys in groups.values()) or 1
    done = 0
    for (section_id, names), keys in groups.items():
        for start in range(0, len(keys), IDS_PER_REQUEST):
            chunk = [k for k in keys[start : start + IDS_PER_REQUEST] if k not in report.gone]
            if chunk:
                _send(client, section_id, chunk, names, report)
            done += len(keys[start : start + IDS_PER_REQUEST])
            progress(done / total)
    report.unlocked -= report.gone
    return report


def _put(
    client: UnlockClient,
    section_id: int,
    chunk: list[int],
    names: tuple[str, ...],
    report: UnlockReport,
) -> None:
    report.requests += 1
    client.put_edit(section_id, _query(chunk, names))
    report.unlocked.update(chunk)


def _send(
    client: UnlockClient,
    section_id: int,
    chunk: list[int],
    names: tuple[str, ...],
    report: UnlockReport,
) -> None:
    try:
        try:
            _put(client, section_id, chunk, names, report)
        except PlexNotFound:
            # Some item of the chunk is gone (or moved to another section): find out which.
            report.requests += (len(chunk) + 99) // 100
            present = client.fetch_items(chunk)
            alive = [k for k in chunk if k in present and present[k].section_id == section_id]
            report.gone.update(k for k in chunk if k not in present)
            if alive:
                _put(client, section_id, alive, names, report)
    except (PlexTransient, PlexBadRequest, PlexNotFound) as exc:
        report.failures.append(f"section {section_id}, {len(chunk)} item(s): {exc}")
