"""What the hostile-input scenarios share: the one-line contract and work snapshots.

Runs come from the harness or `sandbox.inprocess.run_in_process`, both as a `PluginRun`;
`contract_problems` lists every way a run broke SPEC §7 (one clear line, exit status 0 or 1,
one JSON result, no traceback); `work_of` reads the pending work and the failed list so a
scenario can tell that invalid input recorded nothing and lost nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from sandbox.harness import PluginRun
from sync_queue.inbox import Inbox
from sync_queue.queuedb import FailedList
from sync_queue.workqueue import WorkQueue

MAX_ERROR_CHARS = 2000  # "one clear line": an error longer than this is not one
STASH_LINE_LIMIT = 64 * 1024  # Stash's stderr scanner stops at a line this long


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def contract_problems(outcome: PluginRun, *, one_error_line: bool = True) -> list[str]:
    """Every way `outcome` breaks SPEC §7 (empty: one clear line, right status, no traceback).

    `one_error_line`: a failed run logs exactly one error line, its `error` (hostile stdin);
    off for tasks that may log an error of their own before failing.
    """
    problems: list[str] = []
    if outcome.exit_code not in (0, 1):
        problems.append(f"exit status {outcome.exit_code}")
    lines = [line for line in outcome.stdout.splitlines() if line.strip()]
    try:
        document = json.loads(outcome.stdout)
    except ValueError:
        document = None
    if len(lines) != 1 or not isinstance(document, dict) or set(document) != {"output", "error"}:
        problems.append(f"stdout is not one result object: {outcome.stdout[:200]!r}")
    if "Traceback" in outcome.stdout or "Traceback" in outcome.stderr:
        problems.append("a traceback reached the output")
    for raw_line in outcome.stderr.encode("utf-8").split(b"\n"):
        if len(raw_line) >= STASH_LINE_LIMIT:
            problems.append(f"a stderr line of {len(raw_line)} bytes (Stash stops reading)")
        if raw_line.strip() and not (raw_line[:1] == b"\x01" and raw_line[2:3] == b"\x02"):
            problems.append(f"unlevelled stderr line: {raw_line[:120]!r}")
    error = outcome.error
    if outcome.exit_code == 0 and error is not None:
        problems.append(f"exit 0 with an error: {error[:200]}")
    if outcome.exit_code == 1:
        if not isinstance(error, str) or not error.strip():
            problems.append("exit 1 without an error message")
        else:
            if "\n" in error or len(error) > MAX_ERROR_CHARS:
                problems.append(f"error is not one line: {error[:200]!r}")
            if one_error_line and outcome.messages("error") != [error]:
                problems.append(f"error lines {outcome.messages('error')[:3]} != [{error[:200]!r}]")
    for message in [error or "", *outcome.messages("error"), *outcome.messages("warning")]:
        # The catch-all's wording: any of these is a bug path, not a clear message.
        if message.startswith("Internal error") or "stopped early" in message:
            problems.append(f"bug path: {message[:300]}")
    return problems


@dataclass(frozen=True)
class Work:
    """Pending work (inbox rows by kind and id, queued scenes) and the failed list."""

    inbox: frozenset[tuple[str, int]]
    queued: frozenset[int]
    failed: frozenset[int]

    @property
    def pending_scenes(self) -> frozenset[int]:
        """Scenes with work anywhere (the worker moves rows from the inbox to the queue)."""
        return frozenset(i for kind, i in self.inbox if kind.startswith("scene")) | self.queued


def work_of(data_dir: Path) -> Work:
    """The work recorded in `data_dir` (empty stores when a file does not exist yet)."""
    inbox: set[tuple[str, int]] = set()
    if (data_dir / "inbox.db").exists():
        with Inbox(data_dir) as box:
            inbox = {(row.kind, row.ref_id) for row in box.rows()}
    queued: set[int] = set()
    failed: set[int] = set()
    if (data_dir / "queue.db").exists():  # the failed list lives in the queue's database
        with WorkQueue(data_dir) as queue:
            queued = {item.scene_id for item in queue.items()}
        with FailedList(data_dir) as failures:
            failed = {entry.scene_id for entry in failures.list()}
    return Work(frozenset(inbox), frozenset(queued), frozenset(failed))


def seed_work(data_dir: Path, inbox: list[int], queued: list[int], failed: list[int]) -> Work:
    """A data folder with work in every store, as a busy install has it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with Inbox(data_dir) as box:
        box.record("scene", inbox, "seed")
    with WorkQueue(data_dir) as queue:
        queue.add_many(queued)
    with FailedList(data_dir) as failures:
        for scene_id in failed:
            failures.add(scene_id, "PlexNotFound", "no Plex item", attempts=5)
    return work_of(data_dir)


def fresh_copy(template: Path, target: Path) -> Path:
    """A copy of the seeded `template` folder (each hostile input gets its own)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target)
    return target


def digest(folder: Path) -> dict[str, str]:
    """Every file's content hash: equal digests mean a run left the folder untouched."""
    return {
        str(path.relative_to(folder)): hashlib.sha1(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
