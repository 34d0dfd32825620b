"""The plugin's id as Stash knows it: the file name, without `.yml`, of the manifest beside
Stash2Plex.py. Standard library only (the hook path asks when it wakes the worker).

Stash derives a plugin's id from its manifest's file name (pkg/plugin/config.go,
`loadConfig`: "set id to the filename"), and keys both the stored settings and
`runPluginTask` by it. A user who installs our files under `s2p.yml` gets id `s2p`, so the
id is read from the folder, never assumed. Cost: one listdir of the plugin folder, plus one
small file read per manifest only when the folder holds several; cached per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from base.about import PLUGIN_ID as DEFAULT_PLUGIN_ID

__all__ = [
    "DEFAULT_PLUGIN_ID",
    "ENTRY_SCRIPT",
    "choose_plugin_id",
    "exec_names_entry",
    "manifest_names",
    "plugin_id_of",
]

ENTRY_SCRIPT = "Stash2Plex.py"
_MANIFEST_EXT = ".yml"  # Stash: filepath.Ext(path) == ".yml" (case-sensitive, no .yaml)
_MAX_MANIFEST_BYTES = 256 * 1024

_cache: dict[str, tuple[str, str | None]] = {}


def manifest_names(names: Iterable[str]) -> list[str]:
    """The file names Stash would load as plugin manifests, sorted."""
    return sorted(n for n in names if n.endswith(_MANIFEST_EXT) and len(n) > len(_MANIFEST_EXT))


def exec_names_entry(text: str, entry: str = ENTRY_SCRIPT) -> bool:
    """Whether the manifest's `exec` (block or flow list) names `entry`.

    A small line reader, not YAML: the `exec:` line and the indented or dashed lines below it.
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("exec:"):
            continue
        block = [line[len("exec:") :]]
        for following in lines[index + 1 :]:
            if following.strip() and not following[:1].isspace() and not following.startswith("-"):
                break
            block.append(following)
        return any(entry in part for part in block)
    return False


def choose_plugin_id(manifests: Mapping[str, str | None]) -> tuple[str, str | None]:
    """(id, why it is a guess) from `{manifest file name: its text, None when unread}`.

    One manifest: its name. Several: the one whose `exec` names Stash2Plex.py; when that is
    still not one, the default id if its manifest is among them, else the first by name.
    None: the default id. The reason is None when the choice is certain.
    """
    names = manifest_names(manifests)
    if not names:
        return DEFAULT_PLUGIN_ID, (
            f"no plugin manifest (.yml) next to {ENTRY_SCRIPT}; using the id {DEFAULT_PLUGIN_ID}"
        )
    if len(names) == 1:
        return names[0][: -len(_MANIFEST_EXT)], None
    ours = [n for n in names if exec_names_entry(manifests[n] or "")]
    if len(ours) == 1:
        return ours[0][: -len(_MANIFEST_EXT)], None
    pool = ours or names
    default = DEFAULT_PLUGIN_ID + _MANIFEST_EXT
    chosen = default if default in pool else pool[0]
    return chosen[: -len(_MANIFEST_EXT)], (
        f"{len(pool)} manifests next to {ENTRY_SCRIPT} could be this plugin's "
        f"({', '.join(pool)}); using {chosen}"
    )


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(_MAX_MANIFEST_BYTES)
    except OSError:
        return None


def plugin_id_of(plugin_dir: str | os.PathLike[str] | None) -> tuple[str, str | None]:
    """(id, why it is a guess) for the plugin installed in `plugin_dir` (cached per folder)."""
    folder = os.fspath(plugin_dir) if plugin_dir else ""
    cached = _cache.get(folder)
    if cached is not None:
        return cached
    try:
        names = manifest_names(os.listdir(folder)) if folder else []
    except OSError:
        names = []
    texts: dict[str, str | None] = dict.fromkeys(names)
    if len(names) > 1:
        texts = {name: _read(os.path.join(folder, name)) for name in names}
    _cache[folder] = result = choose_plugin_id(texts)
    return result
