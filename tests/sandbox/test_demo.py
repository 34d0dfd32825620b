"""The demo (`make demo`) on a small library: seeded earlier sync, Reconcile Library (All)
and Process Queue through the Stash emulator's job queue, every matchable scene in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.library import demo_options
from demo.run import run_demo
from sandbox.generator import GeneratorOptions, generate
from sandbox.seed import seed_sync_state
from sync_queue.sync_state import load_sync_timestamps


def test_seeding_records_the_earlier_sync_of_the_truth(tmp_path: Path) -> None:
    lib = generate(GeneratorOptions(scenes=200))
    written = seed_sync_state(lib, tmp_path / "data", overrides={1: 5.0})

    stored = load_sync_timestamps(tmp_path / "data")
    assert stored == written == {**lib.truth.sync_timestamps, 1: 5.0}
    assert set(lib.truth.sync_timestamps) == lib.truth.synced | lib.truth.stale | lib.truth.wiped


@pytest.mark.parametrize("scenes", [200, 2000])
def test_the_demo_library_turns_only_foreign_items_with_metadata_into_synced(scenes: int) -> None:
    plain = generate(GeneratorOptions(scenes=scenes)).truth
    demo = generate(demo_options(scenes, 1)).truth

    assert demo.foreign - demo.no_metadata == set()
    assert demo.foreign == plain.foreign & plain.no_metadata
    recorded = demo.synced | demo.stale | demo.wiped
    assert recorded == plain.synced | plain.stale | plain.wiped | (plain.foreign - demo.foreign)
    for name in ("stale", "wiped"):  # the same number, drawn further along the same order
        assert len(getattr(demo, name)) == len(getattr(plain, name)) > 0, name
    for name in ("plex_empty", "not_scanned", "outside_sections", "ambiguous", "no_metadata"):
        assert getattr(demo, name) == getattr(plain, name), name
    assert demo_options(scenes, 1, foreign=True) == GeneratorOptions(scenes=scenes)


def test_the_demo_reconciles_syncs_and_checks_every_matchable_scene(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_demo(300, 1, 0.0, tmp_path)

    out = capsys.readouterr().out
    assert status == 0, out
    assert "Reconcile Library (All): 300 scenes checked" in out
    for kind in ("empty_metadata", "stale_sync", "missing"):
        assert f"{kind} " in out.split("Reconcile Library (All):", 1)[1].split("\n", 1)[0]
    assert "Stash2Plex: Process Queue: 1 job(s)" in out
    assert "OK: all " in out
    # What a user reads: three scenes before (behind in Plex) and after (in step), Stash's
    # log lines, and the live edit arriving in Plex through the hook.
    before, after = out.split("\nBefore, three of them:\n", 1)[1].split("\nAfter:\n", 1)
    assert before.count("  Scene ") == 3 and "≠" in before
    after_cards = after.split("\nA live edit:", 1)[0]
    assert after_cards.count("  Scene ") == 3 and "≠" not in after_cards.split("Stash's log")[0]
    assert "Info    [Plugin / Stash2Plex] Reconciliation (all): 300 scene(s) checked" in out
    edit = out.split("\nA live edit: scene ", 1)[1]
    scene_id = edit.split(" ", 1)[0]
    assert f'Info    [Plugin / Stash2Plex] Synced: {scene_id} "Renamed live in Stash' in edit
    plex_after = edit.split("In Plex moments later:", 1)[1].split("\nTotals", 1)[0]
    assert f"title       Renamed live in Stash ({scene_id})" in plex_after
    assert "≠" not in plex_after
