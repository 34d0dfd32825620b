"""The validated plugin configuration: one pydantic model generated from the settings table.

`Stash2PlexConfig` has one field per row of `validation.settings_table`. Built directly it is
strict (exact types, limits, no unknown keys) and frozen. `resolve_settings` reads Stash's
stored map through the same model in lenient mode: strings such as "true" or "30" are
coerced, an empty value or a NUMBER of 0 means the default (Stash shows unsaved numbers as
0), legacy keys (`enabled`, `sync_*`) are honoured while the current key is unsaved, and a bad
value falls back to its default with one warning naming the setting. Secrets stay out of
`repr` and of every warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
)
from pydantic_core import ErrorDetails, PydanticUseDefault

from base.errors import ConfigError
from validation.path_map import PathMap, PathMapError
from validation.setting_keys import canonical_keys
from validation.settings_table import (
    LEGACY_ALIASES,
    RETIRED_1X,
    SETTINGS,
    SETTINGS_BY_KEY,
    Setting,
    default_text,
    secret_keys,
)

__all__ = [
    "SETTINGS_HINT",
    "ResolvedSettings",
    "Stash2PlexConfig",
    "config_error_message",
    "load_config",
    "redacted_values",
    "require_config",
    "resolve_settings",
    "split_list",
]

SETTINGS_HINT = "Settings → Plugins → Stash2Plex"
REDACTED = "***"
_LENIENT = {"lenient": True}  # validation context of `resolve_settings`
_MAX_QUOTE = 60


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated setting as its stripped, non-empty items, in order."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def normalize_plex_url(value: str) -> str:
    """`http(s)://host[:port][/path]` without a trailing slash; a bare host gets http://.

    A URL copied from Plex Web is reduced to the server: its `/web/...` page, query (it may
    carry `?X-Plex-Token=...`: the token belongs in plex_token, the URL is shown in status
    output) and fragment are dropped. Raises ValueError saying what is wrong.
    """
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        raise ValueError("not an http(s) URL such as http://127.0.0.1:32400") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError("invalid port") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL such as http://127.0.0.1:32400")
    # DNS limits (253 characters, 63 per label): longer host names cannot even be parsed by
    # the HTTP client, which would fail every task with a cryptic error instead.
    if len(parts.hostname) > 253 or any(len(label) > 63 for label in parts.hostname.split(".")):
        raise ValueError("host name too long")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password")
    if port == 0:
        raise ValueError("invalid port")
    path = re.sub(r"/web(?:/.*)?$", "", parts.path)  # Plex Web's own page, not the server API
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", "")).rstrip("/")


def _check_token(value: str) -> str:
    if any(ch.isspace() or ord(ch) < 32 for ch in value.strip()):
        raise ValueError("contains spaces or control characters")
    return value.strip()


def _check_path_map(value: str) -> str:
    try:
        PathMap.parse(value)
    except PathMapError as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


_CHECKS: dict[str, Callable[[str], str]] = {
    "plex_url": normalize_plex_url,
    "plex_token": _check_token,
    "path_map": _check_path_map,
}


def _unset(setting: Setting, value: object) -> bool:
    """Whether `value` means "not saved": empty, or a NUMBER of 0 (how Stash shows unsaved)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return setting.type == "NUMBER" and value == 0 and not isinstance(value, bool)


def _read_stored(setting: Setting) -> BeforeValidator:
    """Stash's stored forms as the field's type; only in lenient mode (`resolve_settings`).

    Type, limits and choices are left to the field itself; this only maps what Stash shows
    as unsaved to the default and lets text such as "30", " Yes " or "Daily" reach it.
    """

    def read(value: object, info: ValidationInfo) -> object:
        if not info.context:
            return value  # built directly: strict
        if setting.type == "NUMBER" and isinstance(value, bool):
            raise ValueError("not a number")
        if setting.type == "NUMBER" and isinstance(value, str) and value.strip():
            try:
                value = float(value)
            except ValueError:
                raise ValueError("not a number") from None
        if _unset(setting, value):
            if setting.required:
                return ""  # resolve_settings reports it as missing
            raise PydanticUseDefault
        if isinstance(value, str):
            value = value.strip()
            return value.lower() if setting.type == "BOOLEAN" or setting.choices else value
        if setting.type == "STRING" and type(value) in (int, float):
            return str(value)  # a hand-edited number where text belongs: "18", not an error
        return value

    return BeforeValidator(read)


def _checked(setting: Setting) -> AfterValidator:
    check = _CHECKS[setting.key]

    def run(value: str, info: ValidationInfo) -> str:
        if setting.required and not value.strip():
            if info.context:
                return ""
            raise ValueError("is required")
        return check(value)

    return AfterValidator(run)


def _field(setting: Setting) -> tuple[Any, Any]:
    """The (type, default) of the model field for one row of the table."""
    limits: dict[str, Any] = {}
    if setting.type == "NUMBER":
        kind: Any = int if setting.integer else float
        limits = {"ge": setting.minimum, "le": setting.maximum, "allow_inf_nan": False}
    elif setting.type == "BOOLEAN":
        kind = bool
    else:
        kind = Literal[setting.choices] if setting.choices else str
    steps: tuple[Any, ...] = (_read_stored(setting),)
    if setting.key in _CHECKS:
        steps += (_checked(setting),)
    default = ... if setting.required else setting.default
    return Annotated[(kind, *steps)], Field(default, **limits)


class _ConfigBase(BaseModel):
    """What the generated model adds to the table: redaction and derived views."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        secrets = secret_keys()
        for key, value in super().__repr_args__():
            yield key, (REDACTED if key in secrets and value else value)

    @cached_property
    def path_mapping(self) -> PathMap:
        return PathMap.parse(self.path_map)

    @cached_property
    def library_names(self) -> tuple[str, ...]:
        """Plex section titles to write to; empty means every movie-type section."""
        return split_list(self.plex_library)

    @cached_property
    def excluded_tags(self) -> frozenset[str]:
        """Tag names (case-folded) never pushed as genres."""
        return frozenset(name.casefold() for name in split_list(self.exclude_tags))


Stash2PlexConfig = create_model(  # type: ignore[call-overload]
    "Stash2PlexConfig",
    __base__=_ConfigBase,
    __module__=__name__,
    __doc__="Effective settings of one invocation: one field per row of the settings table.",
    **{setting.key: _field(setting) for setting in SETTINGS},
)


@dataclass
class ResolvedSettings:
    """Stash's stored settings after lenient reading.

    `values` holds every key of the table (a missing required key as ""); `config` is the
    validated config, None while `missing` names unset or invalid required keys. `invalid`:
    keys that fell back to their default; `unknown`: saved keys this version does not use;
    `aliased`: new key → legacy key used; `retired`: saved Stash2Plex 1.x keys that mean
    nothing here (settings_table.RETIRED_1X).
    """

    values: dict[str, object]
    config: Stash2PlexConfig | None = None
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    aliased: dict[str, str] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


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


def _reason(setting: Setting, error: ErrorDetails) -> str:
    """Why pydantic rejected a value, in the words the settings page uses."""
    kind = error["type"]
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", "invalid"))
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing_size"):
        return f"must be between {setting.minimum:g} and {setting.maximum:g}"
    if kind == "literal_error" and isinstance(error["input"], str):
        return "must be one of " + ", ".join(setting.choices)
    if kind == "int_from_float":
        return "not a whole number"
    return {"BOOLEAN": "not true or false", "NUMBER": "not a number"}.get(setting.type, "not text")


def _lenient(data: Mapping[str, object]) -> Stash2PlexConfig:
    """The model read from `data` in lenient mode; plex_url/plex_token may come out ""."""
    required = {s.key: "" for s in SETTINGS if s.required}
    return Stash2PlexConfig.model_validate({**required, **data}, strict=False, context=_LENIENT)


def _legacy_values(
    raw: Mapping[str, object], warn: Callable[[str], None], aliased: dict[str, str]
) -> dict[str, object]:
    """Values of legacy keys, read by the model, for the current keys left unset."""
    found: dict[str, object] = {}
    for alias in LEGACY_ALIASES:
        setting = SETTINGS_BY_KEY[alias.key]
        if _unset(setting, raw.get(alias.old_key)) or not _unset(setting, raw.get(alias.key)):
            continue
        try:
            value = getattr(_lenient({alias.key: raw[alias.old_key]}), alias.key)
        except ValidationError as exc:
            reason = _reason(setting, exc.errors()[0])
            warn(f"Setting {alias.old_key} (old name of {alias.key}): {reason}; ignored")
            continue
        # `enabled` and `sync_*` meant "on" where the current keys name the change
        found[alias.key] = (not value) if alias.invert else value
        aliased[alias.key] = alias.old_key
    return found


def _true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1")


def resolve_settings(raw: Mapping[str, object], warn: Callable[[str], None]) -> ResolvedSettings:
    """Read Stash's settings map leniently (see the module docstring). Never raises."""
    if not isinstance(raw, Mapping):
        warn(f"Plugin settings are not a map ({type(raw).__name__}); using the defaults")
        raw = {}
    raw = canonical_keys(raw)  # Stash v0.24/v0.25 return the keys camelCased
    resolved = ResolvedSettings(values={})
    data = {key: value for key, value in raw.items() if key in SETTINGS_BY_KEY}
    data.update(_legacy_values(raw, warn, resolved.aliased))
    try:
        model = _lenient(data)
    except ValidationError as exc:
        first_errors: dict[str, ErrorDetails] = {}
        for error in exc.errors():
            first_errors.setdefault(str(error["loc"][0]), error)
        for key, error in first_errors.items():
            setting = SETTINGS_BY_KEY[key]
            fallback = "it is required" if setting.required else f"using {default_text(setting)}"
            warn(
                f"Setting {key}={_quote(setting, data[key])}: {_reason(setting, error)}; {fallback}"
            )
            resolved.invalid.append(key)
            data[key] = ""  # unset: the default, or missing when required
        model = _lenient(data)
    resolved.values = model.model_dump()
    resolved.missing = [s.key for s in SETTINGS if s.required and not resolved.values[s.key]]
    resolved.config = None if resolved.missing else model
    known = set(SETTINGS_BY_KEY) | {a.old_key for a in LEGACY_ALIASES} | set(RETIRED_1X)
    # a saved strict_matching=true is what this version always does (settings_table)
    resolved.retired = sorted(
        k for k in RETIRED_1X if k in raw and not (k == "strict_matching" and _true(raw[k]))
    )
    resolved.unknown = sorted(str(k) for k in raw if k not in known)
    if resolved.unknown:
        warn("Ignored settings unknown to this version: " + ", ".join(resolved.unknown))
    return resolved


def config_error_message(resolved: ResolvedSettings) -> str:
    """One line naming what is missing or invalid and where to fix it."""
    parts = [
        f"{key} is {'invalid' if key in resolved.invalid else 'not set'}"
        for key in resolved.missing
    ]
    return (
        f"Stash2Plex is not set up: {' and '.join(parts)}. "
        f"Fill in Stash → {SETTINGS_HINT}; edits are recorded meanwhile."
    )


def redacted_values(resolved: ResolvedSettings) -> dict[str, object]:
    """`resolved.values` with secrets shown as `***` (or "" when unset): for status output."""
    secrets = secret_keys()
    return {k: (REDACTED if k in secrets and v else v) for k, v in resolved.values.items()}


def load_config(raw: Mapping[str, object], warn: Callable[[str], None]) -> Stash2PlexConfig:
    """The config from Stash's stored settings map; `warn` receives one line per bad value.

    Raises ConfigError when plex_url or plex_token is missing or invalid.
    """
    return require_config(resolve_settings(raw, warn))


def require_config(resolved: ResolvedSettings) -> Stash2PlexConfig:
    """`resolved.config`; ConfigError naming what is missing or invalid when there is none."""
    if resolved.config is None:
        raise ConfigError(config_error_message(resolved))
    return resolved.config
