"""Stash2Plex.yml against Stash's strict loader, the dispatch table, the settings table, SPEC."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from base.about import PLUGIN_ID, __version__
from plugin.dispatch import HOOK, ROUTES, TASK, hook_routes, load_handler, task_routes
from plugin.manifest import render_manifest
from sandbox.harness import REPO_ROOT
from validation.settings_table import SETTINGS, SETTINGS_BY_KEY, default_text

MANIFEST = REPO_ROOT / "Stash2Plex.yml"

# reference/stash.md §1.2: yaml.v2 strict decoding rejects any other key at any level.
TOP_KEYS = {
    "name",
    "description",
    "url",
    "version",
    "exec",
    "interface",
    "errLog",
    "tasks",
    "hooks",
    "settings",
    "ui",
}
TASK_KEYS = {"name", "description", "execArgs", "defaultArgs"}
HOOK_KEYS = TASK_KEYS | {"triggeredBy"}
SETTING_KEYS = {"type", "displayName", "description"}
SETTING_TYPES = {"STRING", "NUMBER", "BOOLEAN"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_is_the_rendering_of_the_tables() -> None:
    assert MANIFEST.read_text(encoding="utf-8") == render_manifest(), (
        "Stash2Plex.yml is stale: run .venv/bin/python -m plugin.manifest --write"
    )


def test_only_keys_stash_knows_at_every_level(manifest: dict) -> None:
    assert set(manifest) <= TOP_KEYS
    for task in manifest["tasks"]:
        assert set(task) <= TASK_KEYS
    for hook in manifest["hooks"]:
        assert set(hook) <= HOOK_KEYS
    for key, setting in manifest["settings"].items():
        assert set(setting) <= SETTING_KEYS, key


def test_exec_is_quoted_plugin_dir_entry_with_raw_interface(manifest: dict) -> None:
    assert manifest["exec"] == ["python", "{pluginDir}/Stash2Plex.py"]
    # unquoted, `{pluginDir}` would start a YAML flow mapping
    assert '- "{pluginDir}/Stash2Plex.py"' in MANIFEST.read_text(encoding="utf-8")
    assert manifest["interface"] == "raw"
    assert manifest["errLog"] in {"none", "trace", "debug", "info", "warning", "error"}


def test_plugin_id_name_and_version(manifest: dict) -> None:
    assert MANIFEST.stem == PLUGIN_ID and "." not in PLUGIN_ID
    assert manifest["name"] == "Stash2Plex"
    assert isinstance(manifest["version"], str)
    assert re.fullmatch(r"\d+(\.\d+){0,2}", manifest["version"])  # CommunityScripts schema
    assert manifest["version"] == __version__
    # One home for the version: pyproject reads it from base/about.py, never repeats it.
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert not re.search(r'^version = "', pyproject, re.MULTILINE)
    assert 'version = { attr = "base.about.__version__" }' in pyproject
    assert manifest["url"].startswith("https://")


def test_settings_follow_stash_rules_and_state_their_default(manifest: dict) -> None:
    for key, setting in manifest["settings"].items():
        assert "." not in key, key
        assert setting["type"] in SETTING_TYPES, key
        assert isinstance(setting["displayName"], str) and setting["displayName"].strip()
        description = setting["description"]
        assert isinstance(description, str) and description.strip()
        entry = SETTINGS_BY_KEY[key]
        if entry.required:
            expected = "none (required)"
        elif entry.type == "BOOLEAN":
            expected = "off"
        elif entry.default == "":
            expected = "empty"
        else:
            expected = str(entry.default)
        assert description.endswith(f"Default: {expected}."), key


def test_manifest_settings_equal_the_settings_table(manifest: dict) -> None:
    assert list(manifest["settings"]) == [s.key for s in SETTINGS]
    for setting in SETTINGS:
        declared = manifest["settings"][setting.key]
        assert declared["type"] == setting.type
        assert declared["displayName"] == setting.display_name
        assert default_text(setting) in declared["description"]


def test_every_boolean_defaults_to_false() -> None:
    booleans = [s for s in SETTINGS if s.type == "BOOLEAN"]
    assert booleans and all(s.default is False for s in booleans)


def test_hooks_equal_the_dispatch_table(manifest: dict) -> None:
    declared = [t for hook in manifest["hooks"] for t in hook["triggeredBy"]]
    assert sorted(declared) == sorted(r.key for r in hook_routes())
    assert len(declared) == len(set(declared))
    assert {"Scene.Create.Post", "Scene.Update.Post", "Scene.Destroy.Post"} <= set(declared)


def test_tasks_equal_the_dispatch_table(manifest: dict) -> None:
    declared = [(t["name"], t["defaultArgs"]["mode"]) for t in manifest["tasks"]]
    assert declared == [(r.name, r.key) for r in task_routes()]
    assert len({name for name, _ in declared}) == len(declared)
    for task in manifest["tasks"]:
        assert all(isinstance(v, str) for v in task["defaultArgs"].values())  # yaml.v2 strings


def test_every_route_has_an_importable_handler() -> None:
    assert {r.kind for r in ROUTES} == {HOOK, TASK}
    for route in ROUTES:
        assert callable(load_handler(route)), route.target


def _spec_section(spec: str, heading: str) -> list[str]:
    start = spec.index(heading)
    end = spec.index("\n## ", start + 1)
    return [ln for ln in spec[start:end].splitlines() if ln.startswith("| ")]


def test_task_names_and_modes_follow_spec(shared_dir: Path) -> None:
    spec = (shared_dir / "SPEC.md").read_text(encoding="utf-8")
    spec_tasks = {}
    for row in _spec_section(spec, "## 4. Tasks")[1:]:
        name, mode = (cell.strip() for cell in row.strip("|").split("|")[:2])
        spec_tasks[re.match(r"`(\w+)`", mode).group(1)] = name
    for route in task_routes():
        assert spec_tasks[route.key] == route.name


ADDED_AFTER_SPEC = {"reconcile_verify_plex": ("BOOLEAN", False)}
# Settings SPEC §5 lists for capabilities whose issues are still open, by issue number. Each
# leaves this list when its issue adds it (the test fails while it is listed and present).
NOT_BUILT_YET = {}


def _spec_default(text: str) -> object:
    text = text.strip().strip("`")
    if text == "required":
        return None
    if text in ('""', "false"):
        return "" if text == '""' else False
    return int(text) if text.isdigit() else text


def test_settings_table_matches_spec_section_5(shared_dir: Path) -> None:
    spec = (shared_dir / "SPEC.md").read_text(encoding="utf-8")
    expected: dict[str, tuple[str, object]] = {}
    for row in _spec_section(spec, "## 5. Settings")[1:]:
        keys_cell, type_cell, default_cell, meaning = (
            c.strip() for c in row.strip("|").split("|")[:4]
        )
        keys = re.findall(r"`(\w+)`", keys_cell)
        if keys == ["skip_title", "skip_background"]:  # the "one per field" row
            fields = [f.strip() for f in meaning.split(":")[1].split(",")]
            keys = [f"skip_{f}" for f in fields]
        defaults = [d.strip() for d in default_cell.split("/")]
        for index, key in enumerate(keys):
            expected[key] = (type_cell, _spec_default(defaults[min(index, len(defaults) - 1)]))
    # Settings introduced by issues after SPEC §5 was written (the drift issue's flag).
    expected.update(ADDED_AFTER_SPEC)
    actual = {s.key: (s.type, s.default) for s in SETTINGS}
    assert set(NOT_BUILT_YET) <= set(expected), "a setting left SPEC §5: update NOT_BUILT_YET"
    assert not set(NOT_BUILT_YET) & set(actual), "a listed setting exists now: unlist it"
    assert actual == {k: v for k, v in expected.items() if k not in NOT_BUILT_YET}
