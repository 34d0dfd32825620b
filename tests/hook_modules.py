"""Which modules a hook process imports: the entry run as Stash runs it, `sys.modules` dumped.

Shared by the tests that hold the hook path to the standard library (scene and entity hooks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sandbox.harness import REPO_ROOT

__all__ = ["modules_of_hook"]

_CODE = (
    "import sys\n"
    "before = set(sys.modules)\n"
    "import json, runpy\n"
    "try:\n"
    "    runpy.run_path(ENTRY, run_name='__main__')\n"
    "finally:\n"
    "    found = {n: getattr(m, '__file__', None) for n, m in list(sys.modules.items())}\n"
    "    new = {n: f for n, f in found.items() if n not in before}\n"
    "    open(DUMP, 'w').write(json.dumps(new))\n"
)


def modules_of_hook(tmp_path: Path, stdin: bytes, data_dir: Path | None = None) -> dict:
    """Run Stash2Plex.py on `stdin` (cwd outside the plugin, PYTHONPATH = its parent); return
    {module name: file} of every module it imported beyond a bare interpreter start."""
    dump = tmp_path / "modules.json"
    code = _CODE.replace("ENTRY", repr(str(REPO_ROOT / "Stash2Plex.py")))
    code = code.replace("DUMP", repr(str(dump)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        PYTHONPATH=str(REPO_ROOT.parent),
        STASH2PLEX_DATA_DIR=str(data_dir or tmp_path / "data"),
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(dump.read_text())
