"""Child process of the concurrency test: one hook-like writer hammering the inbox.

Usage: python -m tests.queue.inbox_writer DATA_DIR BARRIER_DIR WRITER_NO COUNT JOURNAL
Announces itself with BARRIER_DIR/ready-N, waits for BARRIER_DIR/go, then records COUNT
scene ids one transaction each, plus one bulk of its own; any error exits non-zero.
"""

from __future__ import annotations

import os
import sys
import time

from sync_queue.inbox import Inbox, bulk_signature


def main(argv: list[str]) -> int:
    data_dir, barrier, number, count, journal = argv
    writer, total = int(number), int(count)
    open(os.path.join(barrier, f"ready-{writer}"), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(barrier, "go")):
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.001)
    base = writer * 10_000
    for i in range(1, total + 1):
        with Inbox(data_dir, journal=journal) as inbox:  # a fresh hook process each time
            inbox.record("scene", [base + i], "Scene.Update.Post")
    bulk = [base + 5000 + i for i in range(1, 6)]
    with Inbox(data_dir, journal=journal) as inbox:
        inbox.record_bulk("scene", bulk, bulk_signature("scene", bulk, {}), bulk[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
