"""Child process of the SIGKILL tests: works on the data folder until the test kills it.

Usage: python -m tests.queue.crash_child queue|inbox DATA_DIR LOG SEED FIRST_STEP JOURNAL
"queue": takes the worker lock, resumes, then applies random operations, logging each one
before it starts ("P") and after it returned ("C"). "inbox": records ids into the inbox
(logged after commit) and drains due rows into the work queue.
"""

from __future__ import annotations

import json
import os
import random
import sys

from sync_queue.inbox import Inbox
from sync_queue.lock import worker_lock
from sync_queue.workqueue import WorkQueue

from .crashops import apply_op, random_op

BASE = 1_700_000_000.0


def main(argv: list[str]) -> int:
    mode, data_dir, log_path, seed, first, journal = argv
    rng = random.Random(int(seed))
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def note(entry: dict) -> None:
        os.write(log, (json.dumps(entry) + "\n").encode())

    lock = worker_lock(data_dir)
    if not lock.acquire():
        return 3
    queue = WorkQueue(data_dir, journal=journal)
    step = int(first)
    if mode == "inbox":
        inbox = Inbox(data_dir, journal=journal)
        while True:
            step += 1
            ids = rng.sample(range(1, 500), rng.randint(1, 4))
            inbox.record("scene", ids, "hook", now=BASE + step)
            note({"k": "C", "s": step, "ids": ids})
            if step % 3 == 0:
                inbox.drain_due(BASE + step, 5, lambda rows: queue.add_many(r.ref_id for r in rows))
    ops = [("resume", [])]
    while True:
        op, args = ops.pop() if ops else random_op(rng)
        step += 1
        now = BASE + step * 0.5
        note({"k": "P", "s": step, "op": op, "a": args, "now": now})
        result = apply_op(queue, op, args, now)
        note({"k": "C", "s": step, "r": result})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
