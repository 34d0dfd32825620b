"""The chaos report: totals, the verdict that fails on any loss, and the table written between
the markers of docs/reliability.md without touching the hand-written rest."""

from __future__ import annotations

import json
from pathlib import Path

from tests.reliability.report import END, START, main, render, table, verdict


def _row(scenario: str, **counts: int) -> dict[str, object]:
    base = {"runs": 3, "faults": 2, "lost": 0, "wrong": 0, "leaks": 0, "details": []}
    return {"area": "crash", "scenario": scenario, "passed": True, **base, **counts}


def test_totals_and_verdict() -> None:
    rows = [_row("a"), _row("b", runs=4, faults=5)]
    assert table(rows)[-1].startswith("| **all** | **2 scenarios** | **7** | **7** | **0**")
    assert verdict(rows)[0]
    assert not verdict([])[0]
    for bad in ({"lost": 1}, {"wrong": 1}, {"leaks": 1}):
        ok, line = verdict([_row("a"), _row("b", **bad)])
        assert not ok and "b" in line
    failed = _row("c")
    failed["passed"] = False
    assert not verdict([failed])[0]


def test_the_table_replaces_only_the_marked_block(tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    doc.write_text(f"# Title\n\nbefore\n\n{START}\nold table\n{END}\n\nafter\n")
    text = render(doc, "new table\n")
    assert text == f"# Title\n\nbefore\n\n{START}\nnew table\n{END}\n\nafter\n"
    fresh = render(tmp_path / "missing.md", "t\n")
    assert fresh.startswith("# Reliability") and f"{START}\nt\n{END}" in fresh


def test_main_exits_1_on_a_loss_and_writes_the_findings(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    results = tmp_path / "results.jsonl"
    good, bad = _row("good"), _row("bad", lost=1)
    bad["details"] = ["lost: scene 7 out of step"]
    results.write_text("\n".join(json.dumps(r) for r in (good, bad)) + "\n")
    doc = tmp_path / "reliability.md"
    assert main([str(results), "--write", str(doc)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert "scene 7 out of step" in doc.read_text()
    results.write_text(json.dumps(good) + "\n")
    assert main([str(results), "--write", str(doc)]) == 0
