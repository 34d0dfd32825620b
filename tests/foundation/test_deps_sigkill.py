"""Stash's Stop (SIGKILL, children orphaned: pkg/plugin/raw.go) during the dependency install,
in real processes with a stub installer: the orphan keeps writing while the next task runs,
and the folder tasks use is never a half-written one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plugin.deps_folders import current_folder, deps_root, interpreter_tag, remove_unused
from sandbox.harness import REPO_ROOT
from sandbox.httpd import wait_until

# Writes the fake package in steps, noting each in a progress file; with S2P_STUB_GATE set
# it waits after step S2P_STUB_STOP_AT until the gate file exists (the test's instant).
STUB = textwrap.dedent(
    """
    import os, sys, time
    target = sys.argv[sys.argv.index("--target") + 1]
    progress, gate = os.environ["S2P_STUB_PROGRESS"], os.environ.get("S2P_STUB_GATE")
    stop_at = int(os.environ.get("S2P_STUB_STOP_AT", "-1"))

    def step(n):
        with open(progress, "a") as f:
            f.write(f"{os.getpid()} {n}\\n")
        while gate and n == stop_at and not os.path.exists(gate):
            time.sleep(0.01)

    step(0)
    package = os.path.join(target, "s2p_fake_dep")
    os.makedirs(package)
    with open(os.path.join(package, "__init__.py"), "w") as f:
        f.write("VALUE = 'half'\\n")
    step(1)
    with open(os.path.join(package, "__init__.py"), "w") as f:
        f.write("VALUE = '1.0'\\n")
    step(2)
    info = os.path.join(target, "s2p_fake_dep-1.0.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\\nName: s2p-fake-dep\\nVersion: 1.0\\n")
    step(3)
    """
)

# A task's dependency bootstrap (plugin.app runs exactly this before any task handler),
# then the import the task would make.
TASK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from plugin.deps import Dependency, ensure_dependencies
    from stash.log import StashLog
    data_dir, requirements, stub = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    fake = Dependency("s2p_fake_dep", "s2p-fake-dep", "1.0", "2")
    ensure_dependencies(requirements.parent, data_dir, StashLog(sys.stderr.buffer), deps=[fake],
                        requirements=requirements, installer=[sys.executable, stub],
                        use_dep_manager=False)
    import s2p_fake_dep
    print(s2p_fake_dep.VALUE, s2p_fake_dep.__file__)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _steps(progress: Path) -> list[tuple[int, int]]:
    if not progress.exists():
        return []
    return [tuple(map(int, line.split())) for line in progress.read_text().splitlines()]  # type: ignore[misc]


@pytest.mark.parametrize("kill_at", [0, 1, 2, 3])
def test_sigkill_mid_install_then_another_task_installs_cleanly(
    tmp_path: Path, kill_at: int
) -> None:
    (tmp_path / "stub.py").write_text(STUB)
    (tmp_path / "task.py").write_text(TASK)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("s2p-fake-dep==1.0\n")
    data_dir, progress, gate = tmp_path / "data", tmp_path / "progress", tmp_path / "go"
    command = [sys.executable, str(tmp_path / "task.py"), str(REPO_ROOT), str(data_dir)]
    command += [str(requirements), str(tmp_path / "stub.py")]
    env = {**os.environ, "S2P_STUB_PROGRESS": str(progress)}
    env.pop("PYTHONPATH", None)

    first = subprocess.Popen(
        command,
        env={**env, "S2P_STUB_GATE": str(gate), "S2P_STUB_STOP_AT": str(kill_at)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    orphan = 0
    try:
        assert wait_until(lambda: any(n == kill_at for _, n in _steps(progress)), timeout=30)
        orphan = _steps(progress)[0][0]
        first.send_signal(signal.SIGKILL)  # Stash's Stop: the task dies, its installer lives on
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL and _alive(orphan)
        assert current_folder(data_dir) is None  # nothing half-written was pointed to

        # The next task, while the orphan still holds its half-written folder.
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        value, module_file = second.stdout.split()
        used = current_folder(data_dir)
        assert value == "1.0" and used is not None
        assert Path(module_file).parent.parent == used
        installs = {pid for pid, _ in _steps(progress)}
        assert len(installs) == 2 and _alive(orphan)  # two installers, each its own folder

        gate.touch()  # the orphan finishes its own folder; it never touches the pointer
        assert wait_until(lambda: not _alive(orphan), timeout=30)
        assert current_folder(data_dir) == used
        assert (used / "s2p_fake_dep" / "__init__.py").read_text() == "VALUE = '1.0'\n"
        assert (used / "s2p_fake_dep-1.0.dist-info" / "METADATA").is_file()
        folders = sorted(p.name for p in deps_root(data_dir).iterdir() if p.is_dir())
        assert len(folders) == 2 and all(n.startswith(interpreter_tag() + "-") for n in folders)

        # A third task finds everything in place: no install, same folder.
        third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert third.returncode == 0 and third.stdout.split()[1] == module_file
        assert {pid for pid, _ in _steps(progress)} == installs

        # A day after the pointer moved, the orphan's folder is removed, the used one kept.
        later = os.stat(deps_root(data_dir) / f"{interpreter_tag()}.current").st_mtime + 86401
        assert remove_unused(data_dir, now=later) == [n for n in folders if n != used.name]
        assert [p for p in deps_root(data_dir).iterdir() if p.is_dir()] == [used]
    finally:
        gate.touch()
        if first.poll() is None:
            first.kill()
            first.communicate()
        if orphan and _alive(orphan):
            wait_until(lambda: not _alive(orphan), timeout=10)
