"""What a user sees in the demo: three scenes before and after, Stash's log, one live edit.

Reads the emulators' libraries and the harness's recorded runs; the live edit goes through
the Stash emulator's GraphQL like an edit in Stash's UI, so its hook runs as Stash runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from base.about import PLUGIN_NAME
from demo.report import say
from sandbox.harness import PluginRun
from sandbox.model import PlexItem, StashScene
from sandbox.world import Sandbox
from validation.desired import parse_stash_date

__all__ = ["Card", "live_edit", "pick_showcase", "print_cards", "print_stash_log", "stash_log"]

# Stash's log page shows Info and above by default (reference/stash.md §6: `d`/`t` lines
# are invisible to most users), each prefixed `[Plugin / <name>]`.
_SHOWN_LEVELS = {"info": "Info", "warning": "Warning", "error": "Error"}
_CELL = 36
_EDIT = (
    "mutation Edit($id: ID!, $title: String) "
    "{ sceneUpdate(input: {id: $id, title: $title}) { id } }"
)


@dataclass(frozen=True)
class Card:
    """One scene shown side by side: Stash's values and its Plex item's, by field."""

    label: str
    scene_id: int
    rating_key: int
    rows: list[tuple[str, str, str, bool]]  # (field, Stash, Plex, in step)


def pick_showcase(world: Sandbox) -> list[tuple[str, int]]:
    """Three scenes whose Plex item the sync changes visibly, one per way of being behind."""
    truth = world.generated.truth
    wanted = (
        ("edited in Stash since the last sync", truth.stale),
        ("emptied in Plex by an agent refresh", truth.wiped),
        ("scanned by Plex, never synced", truth.plex_empty),
    )
    scenes = world.stash.library.scenes

    def readable(sid: int) -> bool:  # every shown field filled, so the change is visible
        scene = scenes[sid]
        return bool(scene.title and scene.studio_id and scene.performer_ids and scene.tag_ids)

    picked = []
    for label, pool in wanted:
        single = sorted(
            sid for sid in pool - truth.no_metadata if len(truth.scenes[sid].targets) == 1
        )
        best = [sid for sid in single if readable(sid)] or single
        if best:
            picked.append((label, best[0]))
    return picked


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _CELL - 2 else text[: _CELL - 3] + "…"


def _names(ids: list[int], table: dict[int, object]) -> str:
    return ", ".join(sorted(getattr(table[i], "name", "?") for i in ids if i in table))


def card(world: Sandbox, label: str, scene_id: int) -> Card:
    """The scene's fields in Stash next to its Plex item's, read from both emulators now."""
    stash = world.stash.library
    _, rating_key = world.generated.truth.scenes[scene_id].targets[0]
    with stash.lock:
        scene: StashScene = stash.scenes[scene_id]
        studio = stash.studios.get(scene.studio_id) if scene.studio_id else None
        stash_side = {
            "title": scene.title,
            "date": scene.date,
            "studio": studio.name if studio else None,
            "performers": _names(scene.performer_ids, stash.performers),
            "tags": _names(scene.tag_ids, stash.tags),
        }
    with world.plex.library.lock:
        item: PlexItem = world.plex.library.items[rating_key]
        plex_side = {
            "title": item.title,
            "date": item.originally_available_at,
            "studio": item.studio,
            "performers": ", ".join(sorted(item.tags.get("actor", []))),
            "tags": ", ".join(sorted(item.tags.get("genre", []))),
        }
    # A partial Stash date is pushed as its first day (SPEC §2.5): compare what is pushed.
    pushed = {**stash_side, "date": parse_stash_date(stash_side["date"])[0]}
    rows = [
        (name, _short(stash_side[name]), _short(plex_side[name]), pushed[name] == plex_side[name])
        for name in stash_side
    ]
    return Card(label, scene_id, rating_key, rows)


def print_cards(title: str, cards: list[Card]) -> None:
    say()
    say(title)
    for shown in cards:
        say(f"  Scene {shown.scene_id} ({shown.label}), Plex item {shown.rating_key}")
        say(f"    {'':12}{'in Stash':{_CELL}}{'in Plex':{_CELL}}")
        for name, in_stash, in_plex, same in shown.rows:
            mark = "" if same else "  ≠"
            say(f"    {name:12}{in_stash or '-':{_CELL}}{in_plex or '-':{_CELL}}{mark}".rstrip())


def stash_log(runs: list[PluginRun]) -> list[str]:
    """The runs' log lines as Stash's log page shows them (Info and above)."""
    lines = []
    for run in runs:
        for line in run.logs:
            level = _SHOWN_LEVELS.get(line.level)
            if level is not None:
                lines.append(f"{level:8}[Plugin / {PLUGIN_NAME}] {line.message}")
    return lines


def print_stash_log(title: str, runs: list[PluginRun], limit: int = 30) -> None:
    lines = stash_log(runs)
    say()
    say(f"{title} ({len(lines)} line{'s' if len(lines) != 1 else ''}):")
    for line in lines[:limit]:
        say(f"  {line}")
    if len(lines) > limit:
        say(f"  … and {len(lines) - limit} more")


def live_edit(world: Sandbox, scene_id: int, title: str, timeout_s: float) -> bool:
    """Rename the scene in Stash as its UI would; True when Stash's job queue went idle after.

    The emulator runs the `Scene.Update.Post` hook inside the request, as Stash does; the hook
    records the scene and asks Stash to start Process Queue, which the job queue then runs.
    """
    answer = requests.post(
        f"{world.stash.url}/graphql",
        json={"query": _EDIT, "variables": {"id": str(scene_id), "title": title}},
        timeout=30,
    )
    answer.raise_for_status()
    if answer.json().get("errors"):
        raise RuntimeError(f"sceneUpdate failed: {answer.text[:300]}")
    return world.stash.wait_idle(timeout_s)
