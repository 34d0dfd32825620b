"""Render Stash2Plex.yml and the README's settings/tasks tables from the two code tables.

The dispatch table (`plugin.dispatch.ROUTES`) gives hooks and tasks; the settings table
(`validation.settings_table.SETTINGS`) gives the settings block. Tests hold the committed
files equal to these renderings. Regenerate with `python -m plugin.manifest --write`;
`--check` exits 1 when a file is stale. Output uses only keys Stash's strict loader knows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from base.about import PLUGIN_DESCRIPTION, PLUGIN_NAME, PLUGIN_URL, __version__
from plugin.dispatch import hook_routes, task_routes
from runtime.plugin_id import ENTRY_SCRIPT
from validation.settings_table import SETTINGS, default_text, manifest_description

__all__ = [
    "MANIFEST_NAME",
    "render_manifest",
    "render_settings_markdown",
    "render_tasks_markdown",
    "update_generated_sections",
]

MANIFEST_NAME = "Stash2Plex.yml"
REPO_ROOT = Path(__file__).resolve().parent.parent
README_FILES = ("README.md",)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def render_manifest() -> str:
    """The full text of Stash2Plex.yml."""
    lines = [
        f"# {PLUGIN_NAME} plugin manifest, generated from plugin/dispatch.py and",
        "# validation/settings_table.py by `python -m plugin.manifest --write`: edit those.",
        f"name: {PLUGIN_NAME}",
        f"description: {_q(PLUGIN_DESCRIPTION)}",
        f"version: {_q(__version__)}",
        f"url: {_q(PLUGIN_URL)}",
        "exec:",
        "  - python",
        f"  - {_q('{pluginDir}/' + ENTRY_SCRIPT)}",
        "interface: raw",
        "errLog: error",
        "hooks:",
    ]
    groups: dict[tuple[str, str], list[str]] = {}
    for route in hook_routes():
        groups.setdefault((route.name, route.description), []).append(route.key)
    for (name, description), triggers in groups.items():
        lines += [f"  - name: {_q(name)}", f"    description: {_q(description)}"]
        lines += ["    triggeredBy:", *(f"      - {t}" for t in triggers)]
    lines.append("tasks:")
    for route in task_routes():
        lines += [f"  - name: {_q(route.name)}", f"    description: {_q(route.description)}"]
        lines += ["    defaultArgs:", f"      mode: {_q(route.key)}"]
        lines += [f"      {key}: {_q(value)}" for key, value in route.default_args]
    lines.append("settings:")
    for setting in SETTINGS:
        lines += [
            f"  {setting.key}:",
            f"    displayName: {_q(setting.display_name)}",
            f"    description: {_q(manifest_description(setting))}",
            f"    type: {setting.type}",
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_settings_markdown() -> str:
    """The README's settings table."""
    rows = ["| Key | Shown as | Type | Default | Meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        rows.append(
            f"| `{s.key}` | {_cell(s.display_name)} | {s.type} | {_cell(default_text(s))} "
            f"| {_cell(s.description)} |"
        )
    return "\n".join(rows) + "\n"


def render_tasks_markdown() -> str:
    """The README's tasks table."""
    rows = ["| Task | `mode` | What it does |", "|---|---|---|"]
    for route in task_routes():
        rows.append(f"| {_cell(route.name)} | `{route.key}` | {_cell(route.description)} |")
    return "\n".join(rows) + "\n"


def _section(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN {name} [^\n]*-->\n)(.*?)(<!-- END {name} -->)", flags=re.DOTALL
    )


GENERATED_SECTIONS = {
    "settings-table": render_settings_markdown,
    "tasks-table": render_tasks_markdown,
}


def generated_section(text: str, name: str) -> str | None:
    """The current content between the markers of section `name`, or None if absent."""
    match = _section(name).search(text)
    return match.group(2) if match else None


def update_generated_sections(text: str) -> str:
    """`text` with every marked section replaced by its fresh rendering."""
    for name, render in GENERATED_SECTIONS.items():
        fresh = render()
        text = _section(name).sub(lambda m, fresh=fresh: m.group(1) + fresh + m.group(3), text)
    return text


def _targets(root: Path) -> dict[Path, str]:
    """Every generated file under `root` with the content it should have."""
    targets = {root / MANIFEST_NAME: render_manifest()}
    for name in README_FILES:
        path = root / name
        if path.is_file():
            targets[path] = update_generated_sections(path.read_text(encoding="utf-8"))
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated files")
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    stale = []
    for path, content in _targets(args.root).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == content:
            continue
        stale.append(path)
        if args.write:
            path.write_text(content, encoding="utf-8", newline="\n")
    for path in stale:
        sys.stderr.write(f"{'updated' if args.write else 'stale'}: {path}\n")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
