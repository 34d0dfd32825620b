"""Health Check's warning about a Stash2Plex 1.x still installed beside this plugin."""

from __future__ import annotations

from pathlib import Path

from doctor.legacy import check_legacy_installs, legacy_installs, plugins_root
from doctor.result import OK, WARN
from sandbox.harness import REPO_ROOT

# Excerpt of 1.x's manifest (1.6.14): its settings block names keys only 1.x has
# (reference/earlier-stash2plex.md "Its settings").
OLD_MANIFEST = """name: Stash2Plex
version: 1.6.14
exec:
  - python
  - "{pluginDir}/Stash2Plex.py"
settings:
  plex_url:
    displayName: Plex URL
    type: STRING
  strict_matching:
    displayName: Strict matching
    type: BOOLEAN
"""


def plugins(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "plugins"
    ours = root / "community" / "Stash2Plex"
    ours.mkdir(parents=True)
    (ours / "Stash2Plex.yml").write_text((REPO_ROOT / "Stash2Plex.yml").read_text())
    (root / "OtherPlugin").mkdir()
    (root / "OtherPlugin" / "OtherPlugin.yml").write_text("name: Other\nsettings:\n  x: 1\n")
    return root, ours


def test_no_warning_with_only_ours_and_other_plugins(tmp_path: Path) -> None:
    root, ours = plugins(tmp_path)
    copy = root / "copy-of-ours"  # our own manifest elsewhere is not 1.x
    copy.mkdir()
    (copy / "Stash2Plex.yml").write_text((REPO_ROOT / "Stash2Plex.yml").read_text())
    assert plugins_root(ours) == root
    result = check_legacy_installs(ours, tmp_path / "data")
    assert result.status == OK


def test_a_1x_install_beside_ours_is_named_with_the_fix(tmp_path: Path) -> None:
    root, ours = plugins(tmp_path)
    old = root / "stash2plex-1.6"
    old.mkdir()
    (old / "stash2plex.yml").write_text(OLD_MANIFEST)  # ids compare case-insensitively
    orphan = root / "community" / "old-copy"  # manifest gone, its data still there
    (orphan / "data" / "queue").mkdir(parents=True)
    (orphan / "Stash2Plex.py").write_text("")
    assert legacy_installs(root, ours) == [orphan, old]
    result = check_legacy_installs(ours, tmp_path / "data")
    assert result.status == WARN and str(old) in result.line and str(orphan) in result.line
    assert "delete that folder" in result.fix and str(tmp_path / "data") in result.fix
