"""SIGKILL at random points: nothing lost, nothing corrupt, and the queue holds exactly what
the in-memory reference holds after replaying the child's log (the op in flight at the kill
may have happened or not, never half).
"""

from __future__ import annotations

import copy
import json
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.httpd import wait_until
from sync_queue.db import connect, integrity_problems
from sync_queue.inbox import Inbox
from sync_queue.workqueue import WorkQueue
from tests.queue.memqueue import MemWorkQueue

from .crashops import apply_op

REPO_ROOT = Path(__file__).resolve().parents[2]


def spawn(mode: str, data_dir: Path, log: Path, seed: int, first: int, journal: str):
    args = [mode, str(data_dir), str(log), str(seed), str(first), journal]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.queue.crash_child", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def read_log(path: Path) -> list[dict]:
    """Complete lines only: while the child runs, its last line may be half written."""
    if not path.exists():
        return []
    lines = path.read_text().split("\n")[:-1]  # the text after the last newline is unfinished
    return [json.loads(line) for line in lines if line.strip()]


def kill_after(proc: subprocess.Popen, log: Path, commits: int) -> None:
    """SIGKILL the child once `commits` operations have returned (its own pace, not a sleep)."""
    reached = wait_until(
        lambda: (
            proc.poll() is not None or sum(1 for e in read_log(log) if e["k"] == "C") >= commits
        ),
        timeout=60,
    )
    assert reached and proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stderr:
        proc.stderr.close()


def replay(model: MemWorkQueue, log: list[dict]) -> list[MemWorkQueue]:
    """Apply every completed op; returns the candidates (without/with the op in flight)."""
    pending = None
    for entry in log:
        if entry["k"] == "P":
            pending = entry
            continue
        assert pending is not None and pending["s"] == entry["s"]
        result = apply_op(model, pending["op"], pending["a"], pending["now"])
        assert json.loads(json.dumps(result)) == entry["r"], pending
        pending = None
    if pending is None:
        return [model]
    with_op = copy.deepcopy(model)
    apply_op(with_op, pending["op"], pending["a"], pending["now"])
    return [model, with_op]


def snapshot(queue) -> tuple[list, list]:
    return queue.items(), queue.failed.list()


@pytest.mark.parametrize(("journal", "rounds"), [("auto", 6), ("delete", 4)])
def test_sigkill_during_queue_operations(tmp_path: Path, journal: str, rounds: int) -> None:
    rng = random.Random(4711 if journal == "auto" else 815)
    model = MemWorkQueue()
    step = 0
    for round_no in range(rounds):
        log = tmp_path / f"round{round_no}.log"
        proc = spawn("queue", tmp_path, log, rng.randrange(10**6), step, journal)
        kill_after(proc, log, rng.randint(5, 150))
        entries = read_log(log)
        step = entries[-1]["s"]
        candidates = replay(model, entries)
        with WorkQueue(tmp_path, journal=journal) as queue:
            assert queue.consistency_problems() == []
            actual = snapshot(queue)
        matches = [c for c in candidates if snapshot(c) == actual]
        assert matches, f"round {round_no}: state matches neither side of the interrupted op"
        model = matches[-1]
    with WorkQueue(tmp_path, journal=journal) as queue:  # the next worker's start
        assert queue.resume_in_flight() == model.resume_in_flight()
        assert snapshot(queue) == snapshot(model)
        assert queue.consistency_problems() == []


def test_sigkill_while_recording_and_draining_the_inbox(tmp_path: Path) -> None:
    rng = random.Random(99)
    recorded: set[int] = set()
    step = 0
    for round_no in range(3):
        log = tmp_path / f"inbox{round_no}.log"
        proc = spawn("inbox", tmp_path, log, rng.randrange(10**6), step, "auto")
        kill_after(proc, log, rng.randint(20, 200))
        entries = read_log(log)
        step = entries[-1]["s"]
        recorded.update(i for e in entries for i in e["ids"])
        with Inbox(tmp_path) as inbox, WorkQueue(tmp_path) as queue:
            kept = inbox.pending_ids("scene") | queue.get_queued_scene_ids()
            assert recorded <= kept, sorted(recorded - kept)[:10]
            assert queue.consistency_problems() == []
        conn = connect(tmp_path / "inbox.db")
        try:
            assert integrity_problems(conn) == []
        finally:
            conn.close()
