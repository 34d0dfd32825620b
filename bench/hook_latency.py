"""Hook latency benchmark: wall time and peak RSS of hook processes, as Stash runs them.

Installs the packaged plugin (the files scripts/package.py ships) into a temporary
`plugins/Stash2Plex` folder, warms it up once (Stash installs write their bytecode cache on
the first run), then starts N hook processes one after another the way Stash does: fresh
interpreter, cwd outside the plugin folder, PYTHONPATH = the plugins folder, Go-encoded JSON
on stdin, stdin closed. Measures each process's wall time and peak RSS (os.wait4), checks the
exit status and that stdout is exactly the result object, compares median/p95 with the
budget (SPEC §2.1: median ≤ 80 ms, peak ≤ 30 MB) and records the numbers in
docs/benchmarks.md between this benchmark's markers. POSIX only (os.wait4).

Usage: python bench/hook_latency.py [--runs 200] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import BENCHMARKS_MD, machine_line, write_section  # noqa: E402
from sandbox.harness import go_json  # noqa: E402
from scripts.package import collect_files  # noqa: E402

BUDGET_MEDIAN_MS = 80.0
BUDGET_RSS_MB = 30.0
GOAL_MEDIAN_MS = 50.0
SECTION = "hook_latency"

# The hooks Stash sends most: a one-field edit, a bulk edit, a scan-created scene, a delete,
# and two entity hooks: a performer rename (recorded) and a rating click (nothing recorded).
_HOOK_CONTEXTS: tuple[dict[str, object], ...] = (
    {
        "id": 45,
        "type": "Scene.Update.Post",
        "input": {"id": "45", "rating100": 80, "title": None},
        "inputFields": ["rating100", "id"],
    },
    {
        "id": 13,
        "type": "Scene.Update.Post",
        "input": {"ids": [str(i) for i in range(1, 501)], "tag_ids": {"ids": ["7"], "mode": "ADD"}},
        "inputFields": ["ids", "tag_ids"],
    },
    {"id": 101, "type": "Scene.Create.Post", "input": None},
    {
        "id": 46,
        "type": "Scene.Destroy.Post",
        "input": {"id": "46", "delete_file": False, "path": "/media/videos/a.mp4"},
    },
    {
        "id": 7,
        "type": "Performer.Update.Post",
        "input": {"id": "7", "name": "New Name", "rating100": None},
        "inputFields": ["name", "id"],
    },
    {
        "id": 7,
        "type": "Performer.Update.Post",
        "input": {"id": "7", "name": None, "rating100": 60},
        "inputFields": ["rating100", "id"],
    },
)


@dataclass
class Sample:
    wall_ms: float
    cpu_ms: float
    rss_mb: float


def install_plugin(base: Path) -> Path:
    """Copy the shipped files into `<base>/plugins/Stash2Plex` (as Stash's installer would)."""
    plugin_dir = base / "plugins" / "Stash2Plex"
    for source, name in collect_files(ROOT):
        target = plugin_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return plugin_dir


def _payload(plugin_dir: Path, context: dict[str, object]) -> bytes:
    connection = {
        "Scheme": "http",
        "Host": "0.0.0.0",
        "Port": 9999,
        "SessionCookie": {"Name": "session", "Value": "bench-cookie-value", "MaxAge": 3600},
        "Dir": str(plugin_dir.parent.parent),
        "PluginDir": str(plugin_dir),
    }
    return go_json({"server_connection": connection, "args": {"hookContext": context}})


def _environment(plugin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STASH2PLEX"))}
    env["PYTHONPATH"] = str(plugin_dir.parent)
    return env


# Peak RSS of a child as the kernel reports it (ru_maxrss) includes the RSS its parent had
# when it forked, so hooks are started by this tiny spawner (a bare `python -S`, smaller than
# any hook) instead of by the benchmark process with its imports.
_SPAWNER = r"""
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    fds = [os.open(job["stdin"], os.O_RDONLY)]
    fds += [os.open(job[k], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            for k in ("stdout", "stderr")]
    os.chdir(job["cwd"])
    started = time.perf_counter()
    pid = os.posix_spawn(job["argv"][0], job["argv"], job["env"],
                         file_actions=[(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in enumerate(fds)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    for fd in fds:
        os.close(fd)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status), "wall": wall,
                      "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss}),
          flush=True)
"""


class Spawner:
    """Runs processes one at a time from a minimal interpreter and reports wait4 figures."""

    def __init__(self, python: str, workdir: Path) -> None:
        self.workdir = workdir
        self.process = subprocess.Popen(
            [python, "-S", "-c", _SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(
        self, argv: list[str], stdin: bytes, cwd: Path, env: dict[str, str]
    ) -> tuple[dict[str, float], bytes, bytes]:
        """(wait4 report, stdout, stderr) of one process fed `stdin`."""
        paths = {k: self.workdir / k for k in ("stdin", "stdout", "stderr")}
        paths["stdin"].write_bytes(stdin)
        job = {"argv": argv, "cwd": str(cwd), "env": env, **{k: str(v) for k, v in paths.items()}}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        report = json.loads(self.process.stdout.readline())
        return report, paths["stdout"].read_bytes(), paths["stderr"].read_bytes()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def _rss_mb(maxrss: float) -> float:
    return maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20


def run_hook(
    spawner: Spawner, python: str, plugin_dir: Path, payload: bytes, env: dict[str, str]
) -> Sample:
    """One hook process; raises if it fails or writes anything but one result to stdout."""
    argv = [python, str(plugin_dir / "Stash2Plex.py")]
    report, stdout, stderr = spawner.run(argv, payload, plugin_dir.parent.parent, env)
    if report["code"] != 0:
        raise RuntimeError(f"hook exited {report['code']}: {stderr[-500:]!r}")
    result = json.loads(stdout)
    if set(result) != {"output", "error"} or result["error"] is not None:
        raise RuntimeError(f"unexpected hook result: {stdout[:300]!r}")
    return Sample(report["wall"] * 1000, report["cpu"] * 1000, _rss_mb(report["maxrss"]))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(runs: int, python: str = sys.executable, bare_runs: int = 30) -> dict[str, float]:
    """Median/p95 wall, median CPU and peak RSS of `runs` hooks, plus a bare interpreter's."""
    python = shutil.which(python) or python
    with tempfile.TemporaryDirectory(prefix="s2p-bench-") as tmp:
        plugin_dir = install_plugin(Path(tmp))
        env = _environment(plugin_dir)
        payloads = [_payload(plugin_dir, c) for c in _HOOK_CONTEXTS]
        spawner = Spawner(python, Path(tmp))
        try:
            run_hook(spawner, python, plugin_dir, payloads[0], env)  # writes __pycache__
            samples = [
                run_hook(spawner, python, plugin_dir, payloads[i % len(payloads)], env)
                for i in range(runs)
            ]
            bare = [
                spawner.run([python, "-c", "pass"], b"", Path(tmp), env)[0]
                for _ in range(bare_runs)
            ]
        finally:
            spawner.close()
    walls = [s.wall_ms for s in samples]
    return {
        "runs": runs,
        "median_ms": statistics.median(walls),
        "p95_ms": _p95(walls),
        "cpu_median_ms": statistics.median(s.cpu_ms for s in samples),
        "peak_rss_mb": max(s.rss_mb for s in samples),
        "bare_median_ms": statistics.median(b["wall"] * 1000 for b in bare),
        "bare_rss_mb": max(_rss_mb(b["maxrss"]) for b in bare),
    }


def within_budget(numbers: dict[str, float]) -> bool:
    return numbers["median_ms"] <= BUDGET_MEDIAN_MS and numbers["peak_rss_mb"] <= BUDGET_RSS_MB


def render_section(numbers: dict[str, float]) -> str:
    verdict = "within budget" if within_budget(numbers) else "OVER BUDGET"
    return (
        f"## Hook latency (`bench/hook_latency.py`)\n\n"
        f"{int(numbers['runs'])} hook processes run one after another as Stash runs them "
        "(packaged plugin in a temporary plugins folder, bytecode cache warm, cwd outside "
        "the plugin, PYTHONPATH = plugins folder; a mix of one-field edit, 500-scene bulk "
        "edit, scan-created scene, delete, performer rename and performer rating click).\n\n"
        "| Measure | Value | Budget |\n|---|---|---|\n"
        f"| median wall | {numbers['median_ms']:.1f} ms | ≤ {BUDGET_MEDIAN_MS:.0f} ms "
        f"(goal {GOAL_MEDIAN_MS:.0f}) |\n"
        f"| p95 wall | {numbers['p95_ms']:.1f} ms | |\n"
        f"| median CPU (user+sys) | {numbers['cpu_median_ms']:.1f} ms | |\n"
        f"| peak RSS (max over runs) | {numbers['peak_rss_mb']:.1f} MB "
        f"| ≤ {BUDGET_RSS_MB:.0f} MB |\n"
        f"| bare interpreter (`python -c pass`) | {numbers['bare_median_ms']:.1f} ms, "
        f"{numbers['bare_rss_mb']:.1f} MB | |\n\n"
        f"Verdict: **{verdict}**. {machine_line()}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hook process latency and memory benchmark")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)
    numbers = measure(args.runs, args.python)
    section = render_section(numbers)
    print(section)
    if not args.no_write:
        write_section("hook_latency", section)
        print(f"updated {BENCHMARKS_MD}")
    return 0 if within_budget(numbers) else 1


if __name__ == "__main__":
    sys.exit(main())
