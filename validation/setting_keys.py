"""Setting keys in either spelling: Stash v0.24/v0.25 return `plex_url` as `plexUrl`.

Standard library, pure. Stash v0.24 and v0.25 store plugin setting keys snake_cased and
return them camelCased (`internal/manager/config/config.go` `GetPluginConfiguration` →
`map.go` `fromSnakeCaseMap`, at both tags); v0.26 (koanf, migration 58) returns them as the
manifest declares them. Every reader of Stash's settings map goes through `canonical_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from validation.settings_table import LEGACY_ALIASES, SETTINGS

__all__ = ["camel_case", "canonical_keys"]


def camel_case(key: str) -> str:
    """Stash's `fromSnakeCase` (v0.24/v0.25 `map.go`): `plex_url` → `plexUrl`, leading
    underscores kept, every later underscore dropped and the next character upper-cased."""
    out: list[str] = []
    leading = True
    capitalise = False
    for i, char in enumerate(key):
        if char == "_" and not leading and i > 0:
            capitalise = True
        elif char == "_" and leading:
            out.append(char)
        elif capitalise:
            out.append(char.upper())
            capitalise = False
        else:
            leading = False
            out.append(char)
    return "".join(out)


def _known_keys() -> tuple[str, ...]:
    return tuple(s.key for s in SETTINGS) + tuple(a.old_key for a in LEGACY_ALIASES)


def canonical_keys(
    raw: Mapping[str, object], keys: Iterable[str] | None = None
) -> dict[str, object]:
    """`raw` with every camelCased known key (`keys`, default: the settings table's keys and
    their old names) renamed to its snake_case key; when both spellings are present the
    snake_case value wins and the camelCased one is dropped. Other keys pass unchanged."""
    result = dict(raw)
    for key in _known_keys() if keys is None else keys:
        camel = camel_case(key)
        if camel == key or camel not in result:
            continue
        value = result.pop(camel)
        result.setdefault(key, value)
    return result
