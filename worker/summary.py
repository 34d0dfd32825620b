"""The one-screen summary of a worker run: counters, every scene that was not synced by
fate and reason, why the run stopped, and where it is kept.

The summary is logged as a few info lines (worded by `runtime.voice`: a count per reason, a
few scenes named by id and title, one fix per reason), returned as the task's JSON output,
and saved as `last_run.json` in the data folder for View Status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from base.status import SceneStatus, Treatment, read_status
from runtime import voice
from worker import outcomes as oc

__all__ = [
    "EXAMPLES_KEPT",
    "FAILED",
    "FATES",
    "FEW",
    "LAST_RUN_FILE",
    "NOT_IN_PLEX",
    "NOT_PUSHED",
    "RETRYING",
    "STOP_ANOTHER_WORKER",
    "STOP_BLOCKED",
    "STOP_CIRCUIT_OPEN",
    "STOP_DONE",
    "STOP_PAUSED",
    "STOP_STASH_UNAVAILABLE",
    "STOP_TIME_SLICE",
    "WAITING",
    "RunSummary",
    "add_to_groups",
    "fate_lines",
    "read_last_run",
    "save_last_run",
]

LAST_RUN_FILE = "last_run.json"

STOP_DONE = "done"  # no due work left
STOP_TIME_SLICE = "time slice"  # handed Stash's job queue back; continuation requested
STOP_BLOCKED = "blocked"  # Plex unreachable or token rejected mid-run: circuit opened
STOP_CIRCUIT_OPEN = "circuit open"  # Plex still unreachable at start: nothing touched
STOP_STASH_UNAVAILABLE = "stash unavailable"  # the batch fetch failed: batch released
STOP_PAUSED = "paused"  # the `paused` setting: work recorded, nothing pushed
STOP_ANOTHER_WORKER = "another worker is running"

# Fates of scenes that were not synced, in the order the summary tells them; the failed
# ones are a warning.
NOT_PUSHED = "not pushed"
NOT_IN_PLEX = "not in Plex"  # the ignore_not_in_plex setting's scenes: one count, no examples
WAITING = "waiting"
RETRYING = "to be retried"
FAILED = "failed"
FATES = (NOT_PUSHED, NOT_IN_PLEX, WAITING, RETRYING, FAILED)
FEW = 5  # a run touching at most this many scenes names the synced ones too
EXAMPLES_KEPT = 5  # scenes kept per reason as examples


def _fate(action: oc.Action) -> str | None:
    """The summary's fate of a scene the switch handled (None: synced, unchanged, or not
    counted here)."""
    name = action.name
    if name in (oc.DONE, oc.RERUN):
        if action.outcome.status is SceneStatus.NOT_IN_PLEX:
            return NOT_IN_PLEX
        return None if action.outcome.status.pushed else NOT_PUSHED
    return {oc.WAITING: WAITING, oc.RETRIED: RETRYING, oc.FAILED: FAILED}.get(name)


def add_to_groups(
    groups: list[dict[str, object]], fate: str, status: SceneStatus, example: dict[str, object]
) -> None:
    """Count one scene in `groups` (the `RunSummary.not_synced` shape): in its (fate, reason)
    group, created at the end when new, with `example` kept while fewer than `EXAMPLES_KEPT`."""
    for group in groups:
        if group["fate"] == fate and group["reason"] == status.value:
            break
    else:
        group = {"fate": fate, "reason": status.value, "count": 0, "examples": []}
        groups.append(group)
    group["count"] = int(group["count"]) + 1  # type: ignore[call-overload]
    examples = group["examples"]
    if isinstance(examples, list) and len(examples) < EXAMPLES_KEPT:
        examples.append(example)


@dataclass
class RunSummary:
    """Counters of one run. `remaining` = queue rows left (any due time), `due_remaining`
    = of those, due now; `requests` = Stash requests after connecting plus Plex requests.
    `not_synced` holds one group per (fate, reason): `{"fate", "reason" (a SceneStatus
    value), "count", "examples": [{"id", "title"}]}`; `touched` the first `FEW` scenes with
    their fate, to name them when the run touched only a few."""

    task: str = ""
    synced: int = 0
    unchanged: int = 0
    not_pushed: int = 0  # not organized, no meaningful metadata, no files, not in Plex
    waiting: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    reruns: int = 0
    dropped: int = 0  # scenes Stash no longer has
    destroyed: int = 0  # Scene.Destroy.Post rows applied
    entity_changes: int = 0  # performer/studio/tag/group rows expanded into scenes
    entity_scenes: int = 0  # scenes queued for them
    entity_requests: int = 0  # findScenes pages the expansion fetched
    enqueued: int = 0  # added by the task itself (Sync All / Sync Recent)
    caught_up: int = 0  # queued by the catch-up (changes that fired no hook)
    caught_up_synced: int = 0  # of those, scenes written to Plex
    catch_up_requests: int = 0  # findScenes pages the catch-up read
    pull: dict[str, object] = field(default_factory=dict)  # the Plex activity pull's report
    after_others_run: bool = False  # asked for by a run that saw other jobs waiting
    after_others: str = ""  # what asking for one more run after other jobs did
    resumed: int = 0  # in flight when an earlier worker died, put back
    batches: int = 0
    remaining: int = 0
    due_remaining: int = 0
    stash_requests: int = 0
    plex_requests: int = 0
    duration_s: float = 0.0
    stopped: str = STOP_DONE
    reason: str = ""
    continuation: str = ""
    not_synced: list[dict[str, object]] = field(default_factory=list)
    touched: list[dict[str, object]] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return (
            self.synced
            + self.unchanged
            + self.not_pushed
            + self.waiting
            + self.retried
            + self.failed
        )

    @property
    def requests(self) -> int:
        return self.stash_requests + self.plex_requests

    def add_expansion(self, entities: int, requests: int, scene_ids: list[int]) -> None:
        self.entity_changes += entities
        self.entity_requests += requests
        self.entity_scenes += len(scene_ids)

    def count(self, action: oc.Action, title: object = None) -> None:
        """Count what the switch did with one scene (`title`: the scene's, for examples)."""
        name = action.name
        status = action.outcome.status
        fate = _fate(action)
        if name in (oc.DONE, oc.RERUN):
            if status is SceneStatus.SYNCED:
                self.synced += 1
            elif status.pushed:
                self.unchanged += 1
            else:
                self.not_pushed += 1
            self.reruns += name == oc.RERUN
        elif name == oc.RETRIED:
            self.retried += 1
        elif name == oc.WAITING:
            self.waiting += 1
        elif name == oc.FAILED:
            self.failed += 1
        elif name == oc.RELEASED:
            self.released += 1
            return
        else:
            return
        example = {"id": action.scene_id, "title": title if isinstance(title, str) else ""}
        if len(self.touched) < FEW:
            self.touched.append({**example, "fate": fate or status.value, "reason": status.value})
        if fate is not None:
            add_to_groups(self.not_synced, fate, status, example)

    def lines(self) -> list[tuple[str, str]]:
        """The summary as (level, line) pairs: the counts, the scenes when there were few,
        what else happened, why it stopped, then the scenes not synced by reason with one
        fix per reason (failed ones as a warning). Each line at most `voice.INFO_LIMIT`."""
        head = (
            f"{self.task or 'Queue run'}: {self.synced:,} synced, {self.unchanged:,} unchanged, "
            f"{self.not_pushed:,} not pushed, {self.waiting:,} waiting, {self.retried:,} "
            f"retried, {self.failed:,} failed; {self.remaining:,} remaining "
            f"({self.due_remaining:,} due); {self.requests:,} requests (Stash "
            f"{self.stash_requests:,}, Plex {self.plex_requests:,}); {self.duration_s:.1f} s"
        )
        lines = [("info", head)]
        named = _named_pushed(self.touched) if self.processed <= FEW else ""
        if named:
            lines.append(("info", named))
        extras = [
            f"{label} {value:,}"
            for label, value in (
                ("enqueued", self.enqueued),
                ("changed without a hook (caught up)", self.caught_up),
                ("edited during processing (ran again)", self.reruns),
                ("gone from Stash", self.dropped),
                ("deleted in Stash", self.destroyed),
                ("entity changes expanded", self.entity_changes),
                ("scenes queued for them", self.entity_scenes),
                ("resumed after an interrupted run", self.resumed),
                ("released untouched", self.released),
            )
            if value
        ]
        if extras:
            lines.append(("info", "Also: " + ", ".join(extras)))
        if self.stopped != STOP_DONE:
            why = f" ({self.reason})" if self.reason else ""
            then = f"; continuation: {self.continuation}" if self.continuation else ""
            lines.append(("info", f"Stopped: {self.stopped}{why}{then}"))
        if self.after_others:
            then = f"one more run after them: {self.after_others}"
            lines.append(("info", f"Other Stash jobs were waiting; {then}"))
        lines.extend(fate_lines(self.not_synced))
        return [(level, voice.line(text)) for level, text in lines]

    def as_output(self) -> dict[str, object]:
        output = asdict(self)
        output["processed"] = self.processed
        output["requests"] = self.requests
        output["duration_s"] = round(self.duration_s, 3)
        return output


def _named_pushed(touched: Iterable[Mapping[str, object]]) -> str:
    """`Synced: 41 "Title"; unchanged: 42`: the pushed scenes of a small run by name (the
    others are named in their reason's line)."""
    parts = []
    for status, label in ((SceneStatus.SYNCED, "synced"), (SceneStatus.UNCHANGED, "unchanged")):
        refs = [_ref(t) for t in touched if t.get("reason") == status.value]
        if refs:
            parts.append(f"{label}: {', '.join(refs)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _ref(example: Mapping[str, object]) -> str:
    sid = example.get("id")
    return voice.scene_ref(sid if isinstance(sid, int) else 0, example.get("title"))


def _phrase(fate: str, status: SceneStatus) -> str:
    """A reason's words within its fate: a retry or wait that ended in the failed list says
    it gave up."""
    if fate == FAILED and status.treatment is Treatment.RETRY:
        return f"{status.phrase}, gave up after retries"
    if fate == FAILED and status.treatment is Treatment.WAIT:
        return f"{status.phrase}, gave up waiting"
    return status.phrase


def fate_lines(
    groups: Iterable[Mapping[str, object]],
    *,
    fixed: set[SceneStatus] | None = None,
    prefix: str = "",
) -> list[tuple[str, str]]:
    """(level, line) pairs for scenes not synced, from `RunSummary.not_synced`-shaped groups
    (also read back from `last_run.json`, with reasons an earlier version stored): one line
    per fate, `12 scenes not pushed: not organized (9), no meaningful metadata (3); e.g. 41
    "Title", 57`, then one fix per reason not in `fixed` (which collects them, so a fix is
    never printed twice). Failed scenes are one warning line. `prefix` leads each fate's
    line ("Last run: ")."""
    fixed = set() if fixed is None else fixed
    by_fate: dict[str, list[tuple[SceneStatus, int, list[str]]]] = {}
    for group in groups:
        status = read_status(group.get("reason"))
        count = group.get("count")
        fate = str(group.get("fate") or "")
        if status is None or not isinstance(count, int) or count <= 0:
            continue
        raw = group.get("examples")
        refs = [_ref(e) for e in raw if isinstance(e, Mapping)] if isinstance(raw, list) else []
        by_fate.setdefault(fate, []).append((status, count, refs))
    lines: list[tuple[str, str]] = []
    for fate in [*FATES, *sorted(set(by_fate) - set(FATES))]:
        reasons = sorted(by_fate.get(fate, ()), key=lambda r: -r[1])
        if not reasons:
            continue
        total = sum(count for _, count, _ in reasons)
        if fate == NOT_IN_PLEX:  # the user chose to ignore them: a count, nobody named
            verb = "is" if total == 1 else "are"
            lines.append(("info", f"{prefix}{voice.plural(total, 'scene')} {verb} not in Plex"))
            continue
        shown = [(_phrase(fate, status), count, refs) for status, count, refs in reasons]
        level = "warning" if fate == FAILED else "info"
        limit = voice.INFO_LIMIT - len(prefix)
        lines.append((level, prefix + voice.group_line(total, fate, shown, limit=limit)))
        for status, _, _ in reasons:
            if status not in fixed and status.fix:
                fixed.add(status)
                lines.append(("info", voice.fix_line(status.phrase, status.fix)))
    return lines


def save_last_run(
    data_dir: Path,
    summary: RunSummary,
    now: float | None = None,
    redact: Callable[[object], object] | None = None,
) -> None:
    from base.fileio import atomic_write_bytes

    document: object = {"finished_at": time.time() if now is None else now, **summary.as_output()}
    if redact is not None:
        document = redact(document)
    atomic_write_bytes(Path(data_dir) / LAST_RUN_FILE, json.dumps(document).encode("utf-8"))


def read_last_run(data_dir: Path) -> dict[str, object] | None:
    try:
        document = json.loads((Path(data_dir) / LAST_RUN_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None
