"""Random work queue operations shared by the crash child and the test that replays its log.

An operation is (name, args); `apply_op` runs it on any queue implementation and returns a
JSON-able result, so the child can log it and the replay can compare.
"""

from __future__ import annotations

import random

from sync_queue.jobs import WorkQueueStore

OPS = ["add", "add", "add_many", "get_batch", "get_batch", "done", "done", "done", "retry"]
OPS += ["wait", "fail", "release", "drop", "retry_all"]


def random_op(rng: random.Random) -> tuple[str, list[object]]:
    op = rng.choice(OPS)
    sid = rng.randint(1, 40)
    if op == "add":
        return op, [sid, rng.choice([None, 0.0, 3.0])]
    if op == "add_many":
        return op, [rng.sample(range(1, 41), rng.randint(1, 6))]
    if op == "get_batch":
        return op, [rng.randint(1, 5)]
    if op in ("retry", "wait"):
        return op, [sid, rng.choice([0.0, 1.0, 4.0])]
    return op, [sid]


def apply_op(queue: WorkQueueStore, op: str, args: list, now: float) -> object:
    if op == "resume":
        return queue.resume_in_flight(now=now)
    if op == "add":
        sid, delay = args
        return queue.add(sid, ready_at=None if delay is None else now + delay, now=now)
    if op == "add_many":
        return queue.add_many(args[0], now=now)
    if op == "get_batch":
        return [job.scene_id for job in queue.get_batch(args[0], now=now)]
    if op == "done":
        return queue.done(args[0], now=now)
    if op == "retry":
        return queue.retry(args[0], args[1], "PlexServerDown", "HTTP 503", now=now)
    if op == "wait":
        return queue.wait(args[0], args[1], "not scanned yet", now=now)
    if op == "fail":
        return queue.fail(args[0], "PlexNotFound", "no item", now=now)
    if op == "release":
        return queue.release(args[0], now=now)
    if op == "drop":
        return queue.drop(args[0])
    if op == "retry_all":
        return queue.failed.retry_all(now=now)
    raise ValueError(op)
