"""Lenient reading of the settings map Stash stores: coerce, check, fall back per key.

Standard library only. Strings such as "true" or "30" are coerced; an empty value or a
NUMBER of 0 means the default (Stash shows unsaved numbers as 0); a bad value falls back to
the default with exactly one warning naming the setting. Legacy keys (`enabled`, `sync_*`)
are honoured when the current key is not saved. Secret values are never quoted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from validation.path_map import PathMap, PathMapError
from validation.settings_table import (
    LEGACY_ALIASES,
    SETTINGS,
    SETTINGS_BY_KEY,
    Setting,
    default_text,
)

__all__ = [
    "BadValue",
    "ResolvedSettings",
    "check_value",
    "coerce_value",
    "normalize_plex_url",
    "resolve_settings",
]

_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})
_MAX_QUOTE = 60


class BadValue(ValueError):
    """A setting value that cannot be used; the message says why, without the key."""


@dataclass
class ResolvedSettings:
    """Effective settings after lenient reading.

    `values` holds every key of the table (a missing required key as ""), `missing` the
    required keys that are unset, `invalid` the keys that fell back to their default,
    `unknown` the saved keys this version does not use, `aliased` new key → legacy key used.
    """

    values: dict[str, object]
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    aliased: dict[str, str] = field(default_factory=dict)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_saved(setting: Setting, value: object) -> bool:
    """Whether the user saved a value for `setting` (a NUMBER of 0 counts as unsaved)."""
    if _is_blank(value):
        return False
    return not (setting.type == "NUMBER" and value == 0 and not isinstance(value, bool))


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too big for a float (a hand-edited config)
        return False


def coerce_value(setting: Setting, value: object) -> object | None:
    """`value` converted to the setting's type; None means "use the default".

    Raises BadValue when the value cannot be read as that type.
    """
    if _is_blank(value):
        return None
    if setting.type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise BadValue("not true or false")
    if setting.type == "NUMBER":
        if isinstance(value, bool):
            raise BadValue("not a number")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise BadValue("not a number") from None
        if not isinstance(value, (int, float)) or not _finite(value):
            raise BadValue("not a number")
        if value == 0:
            return None
        if setting.integer:
            if value != int(value):
                raise BadValue("not a whole number")
            return int(value)
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadValue("not text")
    return str(value).strip()


def normalize_plex_url(value: str) -> str:
    """`http(s)://host[:port][/path]` without a trailing slash; a bare host gets http://.

    A URL copied from Plex Web is reduced to the server: its `/web/...` page, query (it may
    carry `?X-Plex-Token=...`: the token belongs in plex_token, the URL is shown in status
    output) and fragment are dropped.
    """
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        raise BadValue("not an http(s) URL such as http://127.0.0.1:32400") from None
    try:
        port = parts.port
    except ValueError:
        raise BadValue("invalid port") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadValue("not an http(s) URL such as http://127.0.0.1:32400")
    # DNS limits (253 characters, 63 per label): longer host names cannot even be parsed by
    # the HTTP client, which would fail every task with a cryptic error instead.
    if len(parts.hostname) > 253 or any(len(label) > 63 for label in parts.hostname.split(".")):
        raise BadValue("host name too long")
    if parts.username or parts.password:
        raise BadValue("must not contain a user name or password")
    if port == 0:
        raise BadValue("invalid port")
    path = re.sub(r"/web(?:/.*)?$", "", parts.path)  # Plex Web's own page, not the server API
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", "")).rstrip("/")


def check_value(setting: Setting, value: object) -> object:
    """Validate an already-typed value against the table's limits; returns it normalised.

    Shared by the lenient loader and the strict pydantic model. Raises BadValue.
    """
    if setting.choices:
        text = str(value).strip().lower()
        if text not in setting.choices:
            raise BadValue("must be one of " + ", ".join(setting.choices))
        return text
    if setting.type == "NUMBER" and isinstance(value, (int, float)):
        low, high = setting.minimum, setting.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise BadValue(f"must be between {low:g} and {high:g}")
        return value
    if setting.key == "plex_url" and isinstance(value, str) and value:
        return normalize_plex_url(value)
    if setting.key == "plex_token" and isinstance(value, str):
        if any(ch.isspace() or ord(ch) < 32 for ch in value.strip()):
            raise BadValue("contains spaces or control characters")
        return value.strip()
    if setting.key == "path_map" and isinstance(value, str):
        try:
            PathMap.parse(value)
        except PathMapError as exc:
            raise BadValue(str(exc)) from None
        return value.strip()
    return value


# A URL pasted from a browser may carry the token: `?X-Plex-Token=...` or `user:token@`.
_URL_USERINFO = re.compile(r"//[^/?#@]*@")
_URL_QUERY_VALUE = re.compile(r"([?&#][^=&#]*=)[^&#]*")


def _quote(setting: Setting, value: object) -> str:
    if setting.secret:
        return "(hidden)"
    if setting.key == "plex_url" and isinstance(value, str):
        value = _URL_QUERY_VALUE.sub(r"\1***", _URL_USERINFO.sub("//***@", value))
    text = repr(value)
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def _apply_aliases(
    raw: Mapping[str, object], warn: Callable[[str], None], resolved: ResolvedSettings
) -> dict[str, object]:
    merged = dict(raw)
    for alias in LEGACY_ALIASES:
        setting = SETTINGS_BY_KEY[alias.key]
        if alias.old_key not in raw or _is_saved(setting, raw.get(alias.key)):
            continue
        try:
            value = coerce_value(setting, raw[alias.old_key])
        except BadValue as exc:
            warn(f"Setting {alias.old_key} (old name of {alias.key}): {exc}; ignored")
            continue
        if value is None:
            continue
        merged[alias.key] = (not value) if alias.invert else value
        resolved.aliased[alias.key] = alias.old_key
    return merged


def resolve_settings(raw: Mapping[str, object], warn: Callable[[str], None]) -> ResolvedSettings:
    """Read Stash's settings map leniently (see the module docstring). Never raises."""
    resolved = ResolvedSettings(values={})
    if not isinstance(raw, Mapping):
        warn(f"Plugin settings are not a map ({type(raw).__name__}); using the defaults")
        raw = {}
    merged = _apply_aliases(raw, warn, resolved)
    for setting in SETTINGS:
        value = merged.get(setting.key)
        try:
            typed = coerce_value(setting, value)
            final = setting.default if typed is None else check_value(setting, typed)
        except BadValue as exc:
            fallback = "it is required" if setting.required else f"using {default_text(setting)}"
            warn(f"Setting {setting.key}={_quote(setting, value)}: {exc}; {fallback}")
            resolved.invalid.append(setting.key)
            final = setting.default
        if setting.required and _is_blank(final):
            resolved.missing.append(setting.key)
            final = ""
        resolved.values[setting.key] = final
    known = set(SETTINGS_BY_KEY) | {a.old_key for a in LEGACY_ALIASES}
    resolved.unknown = sorted(str(k) for k in raw if k not in known)
    if resolved.unknown:
        warn("Ignored settings unknown to this version: " + ", ".join(resolved.unknown))
    return resolved
