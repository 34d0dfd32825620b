"""The catch-up's watermark (`catch_up.json`): the newest Stash `updated_at` seen, and the
pure rules that pick the scenes a catch-up queues (docs/worker.md, "The catch-up").

The watermark keeps Stash's text, its instant and the server's UTC offset learned from that
text (`base.stash_time.utc_offset_s`); Sync Recent and the scoped reconciliation windows read
the offset too, so their text bounds need seconds of margin instead of a day. The file is
replaced atomically; an unreadable one counts as absent (the next catch-up sets it again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from base.fileio import atomic_write_bytes
from base.stash_time import utc_offset_s
from base.timestamps import parse_rfc3339

__all__ = [
    "WATERMARK_FILE",
    "Watermark",
    "advance",
    "changed_scenes",
    "learned_offset",
    "load_watermark",
    "save_watermark",
]

WATERMARK_FILE = "catch_up.json"


@dataclass(frozen=True)
class Watermark:
    """The newest `updated_at` a catch-up saw: Stash's text, its instant, the text's UTC
    offset in seconds (None: not learned), and the (scene id, `updated_at` text) pairs seen
    within the margin below it, which the next catch-up reads again and must not count
    twice. `instant` None = the library was empty then: every scene found later is new."""

    text: str | None
    instant: float | None
    offset_s: int | None
    seen: frozenset[tuple[int, str]] = frozenset()

    def as_json(self) -> dict[str, object]:
        return {
            "updated_at": self.text,
            "instant": self.instant,
            "utc_offset_s": self.offset_s,
            "seen": sorted([sid, text] for sid, text in self.seen),
        }


def load_watermark(data_dir: str | os.PathLike[str]) -> Watermark | None:
    """The stored watermark; None when absent or unreadable (= first catch-up)."""
    try:
        raw = json.loads(Path(data_dir, WATERMARK_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    text = raw.get("updated_at")
    instant = parse_rfc3339(text)
    if text is not None and instant is None:
        return None
    seen: set[tuple[int, str]] = set()
    for pair in raw.get("seen") or []:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str):
            try:
                seen.add((int(pair[0]), pair[1]))
            except (TypeError, ValueError):
                continue
    return Watermark(text, instant, utc_offset_s(text), frozenset(seen))


def save_watermark(data_dir: str | os.PathLike[str], mark: Watermark) -> None:
    atomic_write_bytes(
        Path(data_dir, WATERMARK_FILE), json.dumps(mark.as_json(), sort_keys=True).encode()
    )


def learned_offset(data_dir: str | os.PathLike[str]) -> int | None:
    """The Stash server's UTC offset as the last catch-up saw it (None: unknown)."""
    mark = load_watermark(data_dir)
    return None if mark is None else mark.offset_s


def _pairs(scenes: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, str, float | None]]:
    for scene in scenes:
        try:
            scene_id = int(scene["id"])
        except (KeyError, TypeError, ValueError):
            continue
        text = scene.get("updated_at")
        yield scene_id, str(text), parse_rfc3339(text)


def advance(
    mark: Watermark | None, scenes: Iterable[Mapping[str, Any]], margin_s: float
) -> Watermark:
    """`mark` moved to the newest parsable `updated_at` among `scenes` (never backwards),
    with the pairs seen within `margin_s` below it; an empty library gives a watermark
    without instant."""
    pairs = [*(_pairs(scenes))]
    if mark is not None:
        pairs += [(sid, text, parse_rfc3339(text)) for sid, text in mark.seen]
    text: str | None = None if mark is None else mark.text
    newest: float | None = None if mark is None else mark.instant
    for _, candidate, instant in pairs:
        if instant is not None and (newest is None or instant > newest):
            text, newest = candidate, instant
    if newest is None:
        return Watermark(None, None, None)
    floor = newest - margin_s
    seen = frozenset((sid, t) for sid, t, at in pairs if at is not None and at >= floor)
    return Watermark(text, newest, utc_offset_s(text), seen)


def changed_scenes(
    scenes: Iterable[Mapping[str, Any]],
    synced: Mapping[int, tuple[str | None, float | None]],
    mark: Watermark | None,
    margin_s: float,
) -> list[int]:
    """Ids of `scenes` (`id`, `updated_at`) a catch-up queues: each scene version (id and
    `updated_at`) once, and only when it is not the one we synced.

    Versions the last catch-up saw are skipped: older than the watermark by more than
    `margin_s` (a wide text window returns them again), or listed in its `seen` pairs (the
    margin reads the watermark's last seconds again). Of the rest, a scene we synced is
    queued when its `updated_at` differs from the one synced (`synced`: id → (text,
    instant); instants compare, so one moment in two offsets is equal); a scene never synced
    (not pushed, or Plex never had it) is queued: it changed since the last look.
    """
    since = None if mark is None or mark.instant is None else mark.instant - margin_s
    seen = frozenset() if mark is None else mark.seen
    picked: list[int] = []
    for scene_id, text, instant in _pairs(scenes):
        if since is not None and instant is not None and instant < since:
            continue
        if (scene_id, text) in seen:
            continue
        if scene_id in synced:
            old_text, old_instant = synced[scene_id]
            if instant is not None and old_instant is not None:
                if old_instant == instant:
                    continue
            elif old_text == text:
                continue
        picked.append(scene_id)
    return picked
