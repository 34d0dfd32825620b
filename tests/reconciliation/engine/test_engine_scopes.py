"""Scopes `recent` (updated in the last 24 h) and `recent_7days`, on a library whose Stash runs
at +01:00: Stash compares timestamps as text, so the engine asks for a wider window and
keeps exactly the scenes whose parsed `updated_at` is inside the wanted one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciliation.scenes import ScenePager
from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import EngineWorld, expected_gaps, found_gaps

DAY = 86400.0


@pytest.fixture
def offset_world(worlds: WorldFactory) -> EngineWorld:
    return worlds(scenes=400, seed=8, tz_offset="+01:00", frac_basename=0.05)


def _updated_since(world: EngineWorld, cutoff: float) -> set[int]:
    return {s.id for s in world.lib.stash.scenes.values() if s.updated_at.timestamp() >= cutoff}


@pytest.mark.parametrize(("scope", "days"), [("recent", 1), ("recent_7days", 7)])
def test_scope_checks_exactly_the_scenes_updated_in_the_window(
    offset_world: EngineWorld, tmp_path: Path, scope: str, days: int
) -> None:
    world = offset_world
    in_scope = _updated_since(world, world.now - days * DAY)
    assert 0 < len(in_scope) < world.lib.options.scenes
    if scope == "recent":
        assert in_scope == world.truth.recent_24h

    pager = ScenePager(world.gateway(), scope, world.now, page_size=50)
    paged = {int(scene["id"]) for page in pager.pages() for scene in page}
    assert paged == in_scope
    assert pager.fetched > pager.kept == len(in_scope)  # the asked window is wider

    world.seed_sync_state(tmp_path)
    result = world.engine(tmp_path).run(scope)
    assert result.errors == []
    assert result.scope == scope
    assert result.scenes_checked == len(in_scope)
    assert found_gaps(result) == expected_gaps(world.lib, in_scope)


def test_week_scope_reports_unmatched_basename_scenes_as_missing(
    offset_world: EngineWorld, tmp_path: Path
) -> None:
    """Without the whole library the basename fallback is off (uniqueness unknowable)."""
    world = offset_world
    in_scope = _updated_since(world, world.now - 7 * DAY)
    candidates = (world.truth.basename - set(world.truth.sync_timestamps)) & in_scope
    assert candidates, "the seed puts a never-synced basename-only scene in the week"
    world.seed_sync_state(tmp_path)
    found = found_gaps(world.engine(tmp_path).run("recent_7days"))
    assert candidates <= found["missing"]
    full = found_gaps(world.engine(tmp_path).run("all"))
    assert not candidates & full["missing"]


def test_setting_values_are_accepted_as_scopes(offset_world: EngineWorld, tmp_path: Path) -> None:
    result = offset_world.engine(tmp_path).run("24h")
    assert result.scope == "recent"
    assert result.scenes_checked == len(offset_world.truth.recent_24h)
