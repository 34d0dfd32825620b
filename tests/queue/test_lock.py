"""The worker lock: exclusive across processes and handles, never blocking, and released by
the kernel when the holder is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sandbox.httpd import wait_until
from sync_queue.lock import WorkerLock, worker_lock

HOLDER = (
    "import sys, time; from sync_queue.lock import worker_lock;"
    "lock = worker_lock(sys.argv[1]); print('held' if lock.acquire() else 'refused', flush=True);"
    "time.sleep(60)"
)
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_one_holder_at_a_time_in_one_process(tmp_path: Path) -> None:
    first, second = worker_lock(tmp_path), worker_lock(tmp_path)
    assert first.acquire() is True
    assert first.acquire() is True  # re-entrant for its holder
    assert second.acquire() is False
    assert f"pid {os.getpid()}" in second.owner()
    first.release()
    first.release()
    assert second.acquire() is True
    second.release()


def test_context_manager_reports_and_releases(tmp_path: Path) -> None:
    with worker_lock(tmp_path) as acquired:
        assert acquired is True
        with worker_lock(tmp_path) as other:
            assert other is False
    with WorkerLock(tmp_path / "worker.lock") as again:
        assert again is True


def test_held_by_another_process_until_it_is_killed(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = worker_lock(tmp_path)
        assert lock.acquire() is False
        assert f"pid {proc.pid}" in lock.owner()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_until(lock.acquire, timeout=5)  # no stale lock after SIGKILL
        lock.release()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
