"""What every benchmark in bench/ shares: its marked section of docs/benchmarks.md, the
peak RSS of a process, and the line saying where and when the numbers were measured.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["BENCHMARKS_MD", "machine_line", "peak_rss_mb", "run_child", "write_section"]

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_HEADER = (
    "# Benchmarks\n\nEach benchmark in `bench/` rewrites only its own section, between its "
    "`BEGIN`/`END` markers.\n"
)


def write_section(name: str, text: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) benchmark `name`'s marked section; other sections stay untouched."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{text}{end}\n"
    current = path.read_text(encoding="utf-8") if path.is_file() else _HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", flags=re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8", newline="\n")


def peak_rss_mb() -> float:
    """Peak RSS of this process image, in MB.

    Linux: `VmHWM` of /proc/self/status. `ru_maxrss` is not used there because it survives
    fork+exec: a child of a large parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def machine_line() -> str:
    """ "Measured <date> on <system>, <n> CPUs (load average x), Python y."."""
    return (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), "
        f"Python {platform.python_version()}."
    )


def run_child(script: str, *args: str) -> dict[str, object]:
    """Run `script --child *args` in a fresh interpreter (so its peak RSS is its own, not the
    generator's and emulators' in this process) and return the JSON it printed."""
    done = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCHMARKS_MD.parent.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    return json.loads(done.stdout)
