"""Child process of the SIGKILL test: runs the upgrade takeover and SIGKILLs itself at a step.

Usage: python -m tests.upgrade.takeover_child DATA_DIR STEP
The kill comes from the process itself at the named checkpoint (tasks.takeover's seam), so it
lands at that exact instant; the kernel's SIGKILL is as abrupt as Stash's Stop button.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from stash.log import StashLog
from tasks.takeover import take_over


def main(data_dir: str, kill_at: str) -> int:
    def checkpoint(step: str) -> None:
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    folder = Path(data_dir)
    # the plugin folder holds no data/ of its own here: only DATA_DIR is a source
    take_over(folder / "no-plugin", folder, StashLog(sys.stderr.buffer), checkpoint=checkpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
