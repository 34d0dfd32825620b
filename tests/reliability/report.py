"""`python -m tests.reliability.report RESULTS [--write docs/reliability.md]`: the chaos table.

Reads the JSON lines `make chaos` collected (tests.reliability.tally), prints one row per
scenario and the totals, writes the Markdown report, and exits 1 unless every scenario passed
with zero lost jobs, zero wrong writes and zero leaks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.reliability.tally import read_results

COMMAND = "make chaos"
_AREAS = ("control", "crash", "outage", "concurrency", "hostile", "secrets")
_HEADER = ("Area", "Scenario", "Runs", "Faults injected", "Jobs lost", "Wrong writes", "Leaks")

START, END = "<!-- chaos-table:start -->", "<!-- chaos-table:end -->"

INTRO = """# Reliability and security

The table below is written by `{command}`; what each column counts is in `tests/reliability/`
(`tally.py`, `integrity.py`) and this page's hand-written sections around the table.
"""


def table(rows: Sequence[dict[str, object]]) -> list[str]:
    ordered = sorted(
        rows,
        key=lambda r: (
            _AREAS.index(str(r["area"])) if r["area"] in _AREAS else len(_AREAS),
            str(r["scenario"]),
        ),
    )
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    for r in ordered:
        mark = "" if r.get("passed") else " (FAILED)"
        lines.append(
            f"| {r['area']} | {r['scenario']}{mark} | {r['runs']:,} | {r['faults']:,} | "
            f"{r['lost']} | {r['wrong']} | {r['leaks']} |"
        )
    total = {k: sum(int(r[k]) for r in rows) for k in ("runs", "faults", "lost", "wrong", "leaks")}  # type: ignore[call-overload]
    lines.append(
        f"| **all** | **{len(rows)} scenarios** | **{total['runs']:,}** | "
        f"**{total['faults']:,}** | **{total['lost']}** | **{total['wrong']}** | "
        f"**{total['leaks']}** |"
    )
    return lines


def verdict(rows: Sequence[dict[str, object]]) -> tuple[bool, str]:
    if not rows:
        return False, "no scenario results were recorded"
    bad = [
        str(r["scenario"])
        for r in rows
        if not r.get("passed") or any(int(r[k]) for k in ("lost", "wrong", "leaks"))  # type: ignore[call-overload]
    ]
    if bad:
        return False, f"{len(bad)} scenario(s) failed or counted losses: {', '.join(bad[:10])}"
    return True, f"all {len(rows)} scenarios passed: zero lost jobs, wrong writes and leaks"


def render(path: Path, block: str) -> str:
    """`path`'s text with the part between the markers replaced (hand-written rest kept)."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        tail = rest.split(END, 1)[1]
        return f"{head}{START}\n{block}{END}{tail}"
    return f"{INTRO.format(command=COMMAND)}\n{START}\n{block}{END}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.report")
    parser.add_argument("results", type=Path)
    parser.add_argument("--write", type=Path, help="Markdown file to (re)write")
    args = parser.parse_args(argv)
    rows = read_results(args.results)
    ok, line = verdict(rows)
    lines = table(rows)
    sys.stdout.write("\n".join(lines) + f"\n\n{'OK' if ok else 'FAILED'}: {line}\n")
    if args.write is not None:
        details = [
            f"- {r['scenario']}: {d}"
            for r in rows
            for d in r.get("details") or []  # type: ignore[attr-defined]
        ]
        block = "\n".join(lines) + f"\n\nResult: {'OK' if ok else 'FAILED'}: {line}.\n"
        if details:
            block += "\nFindings:\n\n" + "\n".join(details) + "\n"
        args.write.write_text(render(args.write, block), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
