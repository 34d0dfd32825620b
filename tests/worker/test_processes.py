"""The worker as Stash runs it, in real processes: hooks in parallel while a worker runs,
SIGKILLs at random points, an edit landing while the worker finishes, and a time-sliced
run continuing itself through Stash's job queue. Tasks start through the driver (scripted
Plex step), hooks through the real Stash2Plex.py, both exactly as Stash starts them.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.wakeup import write_marker
from sandbox.generator import GeneratorOptions
from sandbox.harness import REPO_ROOT, PluginHarness
from sandbox.httpd import wait_until
from sandbox.world import Sandbox, start_sandbox
from sync_queue.inbox import Inbox
from sync_queue.queuedb import FailedList
from sync_queue.workqueue import WorkQueue
from tests.worker.conftest import (
    DRIVER,
    data_dir_of,
    our_jobs,
    queue_scenes,
    split_runner,
    stash_query,
    stash_updated_at,
)
from tests.worker.fakes import SCRIPT_ENV, Script, edit_scene, read_log, scene_events

RUN_QUEUE = (
    'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "Stash2Plex: Process Queue") }'
)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Sandbox]:
    """40 scenes; Stash runs queued jobs by itself, one at a time."""
    sandbox = start_sandbox(GeneratorOptions(scenes=40), data_dir=tmp_path / "data")
    (tmp_path / "data").mkdir()
    yield sandbox
    sandbox.stash.wait_idle(60)
    sandbox.stop()


def _script_env(tmp_path: Path, script: Script) -> dict[str, str]:
    path = tmp_path / "script.json"
    path.write_text(script.to_json())
    return {SCRIPT_ENV: str(path)}


def _task_runs(world: Sandbox) -> list[Any]:
    runner = world.stash.plugin_runner
    assert runner is not None
    return runner.results("Stash2Plex: Process Queue")  # type: ignore[attr-defined]


def test_parallel_hooks_while_a_worker_runs_process_each_scene_once_after_its_last_edit(
    live: Sandbox, tmp_path: Path
) -> None:
    data_dir = data_dir_of(live)
    runner = split_runner(live, _script_env(tmp_path, Script(delay_s=0.03, batch_size=5)))
    all_ids = list(range(1, 41))
    queue_scenes(live, all_ids)
    stash_query(live, RUN_QUEUE)
    assert wait_until(lambda: len(scene_events(data_dir)) >= 3, timeout=30)

    edits = [sid for sid in range(1, 11) for _ in range(2)]
    random.Random(7).shuffle(edits)
    times: dict[int, list[tuple[float, float]]] = defaultdict(list)
    lock = threading.Lock()
    barrier = threading.Barrier(len(edits))

    def edit(n: int, sid: int) -> None:
        barrier.wait()
        sent = time.time()
        edit_scene(live.stash.url, sid, f"parallel edit {n}")
        with lock:
            times[sid].append((sent, time.time()))

    threads = [threading.Thread(target=edit, args=(n, sid)) for n, sid in enumerate(edits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert live.stash.wait_idle(60)

    hook_runs = runner.results("Scene.Update.Post")
    assert len(hook_runs) == 20 and all(r.exit_code == 0 for r in hook_runs)
    stderr = "\n".join(r.stderr for r in runner.results())
    assert "database is locked" not in stderr and "Traceback" not in stderr
    events = scene_events(data_dir)
    by_scene: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_scene[event["id"]].append(event)
    assert set(by_scene) == set(all_ids)
    for sid, sent_returned in times.items():
        last_sent = max(s for s, _ in sent_returned)
        last_returned = max(r for _, r in sent_returned)
        runs = by_scene[sid]
        # The last processing saw the scene's final state (level-triggered) ...
        assert runs[-1]["updated_at"] == stash_updated_at(live, sid)
        # ... exactly one processing follows the last edit's record: at least one started
        # after the last edit was sent, at most one after every hook of it had returned.
        assert sum(r["start"] > last_sent for r in runs) >= 1
        assert sum(r["start"] > last_returned for r in runs) <= 1
        # Never two workers on one scene.
        spans = sorted((r["start"], r["end"]) for r in runs)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    untouched = [sid for sid in all_ids if sid not in times]
    assert all(len(by_scene[sid]) == 1 for sid in untouched)
    # Twenty parallel hooks, a handful of runs, not twenty: the marker is claimed by one hook
    # at a time; only a worker's start or its last look at the inbox clears it again.
    assert our_jobs(live, "READY") == [] and 1 <= len(_task_runs(live)) <= 4
    with WorkQueue(data_dir) as queue:
        assert queue.items() == [] and queue.consistency_problems() == []


def _kill_at(
    harness: PluginHarness, data_dir: Path, rng: random.Random, by_time: bool
) -> int | None:
    """Start a worker and SIGKILL it at a random point; its pid if the kill hit it."""
    before = len(scene_events(data_dir))
    running = harness.start({"mode": "process_queue"})
    if by_time:  # anywhere from start-up through resume, drain and the first batch
        delay = rng.uniform(0.1, 0.6)
    else:  # somewhere inside processing
        wait_until(
            lambda: len(scene_events(data_dir)) > before or not running.is_running(), timeout=30
        )
        delay = rng.uniform(0.0, 0.1)
    timer = threading.Timer(delay, running.kill)
    timer.start()
    result = running.wait(timeout=60)
    timer.cancel()
    assert result.exit_code in (0, -9), result.stderr[-2000:]
    return running.pid if result.exit_code == -9 else None


def test_sigkill_at_ten_random_points_loses_and_doubles_nothing(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = data_dir_of(world)
    ids = list(range(1, 31))
    queue_scenes(world, ids)
    harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        stash_url=world.stash.url,
        data_dir=data_dir,
        entry=str(DRIVER),
        env=_script_env(tmp_path, Script(delay_s=0.05, batch_size=4)),
    )
    rng = random.Random(20261121)
    outcomes = [_kill_at(harness, data_dir, rng, by_time=n % 3 == 0) for n in range(10)]
    killed = [pid for pid in outcomes if pid is not None]
    assert len(killed) >= 8  # the work outlasts the kills
    final = harness.run({"mode": "process_queue"}, timeout=60)
    assert final.exit_code == 0 and final.output["remaining"] == 0
    assert final.output["resumed"] > 0 or any(killed)

    log = read_log(data_dir)
    counts = Counter(e["id"] for e in log if e["event"] == "scene")
    # In flight at a kill = the last batch the killed worker had claimed and handed to the
    # step: its outcomes may not have been committed, so it may run again (once per such
    # kill). Every other scene was either finished (outcome committed) or never handed to
    # the step, and must be processed exactly once in total.
    in_flight: Counter[int] = Counter()
    for pid in killed:
        batches = [e["ids"] for e in log if e["event"] == "batch" and e["pid"] == pid]
        if batches:
            in_flight.update(batches[-1])
    assert set(counts) == set(ids)  # nothing lost
    for sid in ids:  # nothing doubled beyond what a kill interrupted
        assert 1 <= counts[sid] <= 1 + in_flight[sid], (sid, counts[sid], in_flight[sid])
    assert sum(in_flight.values()) >= 5  # the kills did hit processing
    assert sum(counts.values()) > len(ids)  # ... and interrupted scenes ran again
    with WorkQueue(data_dir) as queue:
        assert queue.items() == [] and queue.consistency_problems() == []
    with FailedList(data_dir) as failed, Inbox(data_dir) as inbox:
        assert failed.count() == 0 and inbox.pending_count() == 0


def test_an_edit_while_the_worker_finishes_ends_synced(live: Sandbox, tmp_path: Path) -> None:
    data_dir = data_dir_of(live)
    edit = {"url": live.stash.url, "scene_id": 3, "title": "edited while the worker finishes"}
    runner = split_runner(live, _script_env(tmp_path, Script(edit_on_close=edit)))
    queue_scenes(live, [1, 2, 3])
    # As a hook does: the marker first, then the request.
    write_marker(data_dir, "requested", time.time())
    stash_query(live, RUN_QUEUE)
    assert wait_until(lambda: len(_task_runs(live)) >= 2, timeout=60)
    assert live.stash.wait_idle(60)

    (hook,) = runner.results("Scene.Update.Post")
    assert hook.exit_code == 0 and hook.output == {"hook": "Scene.Update.Post", "scene_ids": [3]}
    # The hook saw our worker RUNNING (it may be finishing): it queued a new one.
    jobs = our_jobs(live)
    assert [j.status for j in jobs] == ["FINISHED", "FINISHED"]
    events = scene_events(data_dir)
    assert [e["id"] for e in events] == [1, 2, 3, 3]
    assert events[-1]["updated_at"] == stash_updated_at(live, 3)
    assert len({e["pid"] for e in events}) == 2
    with WorkQueue(data_dir) as queue:
        assert queue.items() == []


def test_a_time_sliced_run_continues_itself_to_completion(live: Sandbox, tmp_path: Path) -> None:
    data_dir = data_dir_of(live)
    live.configure_plugin(worker_time_slice=10)  # the minimum; the fake timer runs fast
    split_runner(live, _script_env(tmp_path, Script(advance_s=3.0, batch_size=3)))
    queue_scenes(live, list(range(1, 16)))
    stash_query(live, RUN_QUEUE)
    assert wait_until(
        lambda: len(_task_runs(live)) >= 3 and not our_jobs(live, "READY"), timeout=60
    )
    assert live.stash.wait_idle(60)

    runs = _task_runs(live)
    assert len(runs) == 3 and all(r.exit_code == 0 for r in runs)
    assert [r.output["synced"] for r in runs] == [6, 6, 3]
    assert [r.output["stopped"] for r in runs] == ["time slice", "time slice", "done"]
    assert [r.output["continuation"] for r in runs] == ["requested", "requested", ""]
    assert "Stopped: time slice (10 s used); continuation: requested" in runs[0].messages("info")
    assert runs[0].progress and runs[0].progress[-1] == pytest.approx(6 / 15, abs=1e-3)
    events = scene_events(data_dir)
    assert sorted(e["id"] for e in events) == list(range(1, 16))
    assert [j.status for j in our_jobs(live)] == ["FINISHED"] * 3
