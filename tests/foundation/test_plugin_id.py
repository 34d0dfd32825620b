"""The plugin id is the manifest's file name: the pure choice among a folder's manifests,
and the folder read (one listdir; manifests read only when there are several)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.plugin_id import (
    DEFAULT_PLUGIN_ID,
    choose_plugin_id,
    exec_names_entry,
    manifest_names,
    plugin_id_of,
)
from sandbox.harness import REPO_ROOT

OURS = 'name: Stash2Plex\nexec:\n  - python\n  - "{pluginDir}/Stash2Plex.py"\ninterface: raw\n'
OTHER = 'name: Other\nexec:\n  - python\n  - "{pluginDir}/other.py"\n'


def test_one_manifest_names_the_plugin_whatever_it_says() -> None:
    assert choose_plugin_id({"s2p.yml": None}) == ("s2p", None)
    assert choose_plugin_id({"Stash2Plex.yml": None}) == ("Stash2Plex", None)


def test_several_manifests_the_one_whose_exec_names_our_script_wins() -> None:
    assert choose_plugin_id({"a.yml": OTHER, "s2p.yml": OURS}) == ("s2p", None)


def test_no_manifest_falls_back_to_the_default_id_with_a_reason() -> None:
    chosen, why = choose_plugin_id({})
    assert chosen == DEFAULT_PLUGIN_ID == "Stash2Plex"
    assert why is not None and "no plugin manifest" in why


@pytest.mark.parametrize(
    ("manifests", "expected"),
    [
        ({"s2p.yml": OURS, "Stash2Plex.yml": OURS}, "Stash2Plex"),  # two copies: the default
        ({"b.yml": OURS, "a.yml": OURS}, "a"),  # neither is the default: the first by name
        ({"b.yml": OTHER, "a.yml": None}, "a"),  # none names our script
    ],
)
def test_an_ambiguous_folder_is_a_guess_and_says_so(
    manifests: dict[str, str | None], expected: str
) -> None:
    chosen, why = choose_plugin_id(manifests)
    assert chosen == expected
    assert why is not None and f"using {expected}.yml" in why


def test_only_dot_yml_counts_as_stash_does() -> None:
    # pkg/plugin/plugins.go: filepath.Ext(fp) == ".yml"
    names = ["s2p.yml", "x.yaml", "y.YML", "z.yml.disabled", ".yml", "Stash2Plex.py"]
    assert manifest_names(names) == ["s2p.yml"]


def test_exec_block_or_flow_list_is_read_and_other_keys_are_not() -> None:
    assert exec_names_entry(OURS)
    assert exec_names_entry('exec: [python, "{pluginDir}/Stash2Plex.py"]\n')
    assert not exec_names_entry(OTHER)
    assert not exec_names_entry("exec:\n  - python\n  - run.py\ndescription: Stash2Plex.py\n")
    assert not exec_names_entry("description: Stash2Plex.py\n")


def test_the_folder_is_read_from_disk(tmp_path: Path) -> None:
    single = tmp_path / "single"
    single.mkdir()
    (single / "s2p.yml").write_text("not even yaml: [", encoding="utf-8")
    assert plugin_id_of(single) == ("s2p", None)
    several = tmp_path / "several"
    several.mkdir()
    (several / "other.yml").write_text(OTHER, encoding="utf-8")
    (several / "mine.yml").write_text(OURS, encoding="utf-8")
    assert plugin_id_of(several) == ("mine", None)
    assert plugin_id_of(tmp_path / "missing")[0] == DEFAULT_PLUGIN_ID
    assert plugin_id_of(REPO_ROOT) == ("Stash2Plex", None)
