"""The validated plugin configuration: `Stash2PlexConfig` and its lenient loader.

Built directly, the model is strict (exact types, limits, no unknown keys) and frozen; from
Stash's stored settings use `load_config`, which coerces, falls back per key with one warning
and raises ConfigError only when plex_url/plex_token are missing. Secrets stay out of `repr`.
Field names and defaults come from `validation.settings_table` (a test holds them equal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from base.errors import ConfigError
from validation.coerce import BadValue, ResolvedSettings, check_value, resolve_settings
from validation.path_map import PathMap
from validation.settings_table import SETTINGS, SETTINGS_BY_KEY, secret_keys

__all__ = [
    "SETTINGS_HINT",
    "Stash2PlexConfig",
    "config_error_message",
    "load_config",
    "redacted_values",
    "split_list",
]

SETTINGS_HINT = "Settings → Plugins → Stash2Plex"
REDACTED = "***"
_D = {s.key: s.default for s in SETTINGS}


def _checked(key: str) -> AfterValidator:
    setting = SETTINGS_BY_KEY[key]

    def check(value: object) -> object:
        if setting.required and isinstance(value, str) and not value.strip():
            raise BadValue("is required")
        return check_value(setting, value)

    return AfterValidator(check)


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated setting as its stripped, non-empty items, in order."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


class Stash2PlexConfig(BaseModel):
    """Effective settings of one invocation. See SPEC §5 for each key's meaning."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    plex_url: Annotated[str, _checked("plex_url")]
    plex_token: Annotated[str, _checked("plex_token")]
    plex_library: str = _D["plex_library"]
    path_map: Annotated[str, _checked("path_map")] = _D["path_map"]
    plex_skip_tls_verify: bool = _D["plex_skip_tls_verify"]
    paused: bool = _D["paused"]
    skip_title: bool = _D["skip_title"]
    skip_summary: bool = _D["skip_summary"]
    skip_date: bool = _D["skip_date"]
    skip_rating: bool = _D["skip_rating"]
    skip_studio: bool = _D["skip_studio"]
    skip_performers: bool = _D["skip_performers"]
    skip_tags: bool = _D["skip_tags"]
    skip_collections: bool = _D["skip_collections"]
    skip_poster: bool = _D["skip_poster"]
    skip_background: bool = _D["skip_background"]
    require_organized: bool = _D["require_organized"]
    exclude_tags: str = _D["exclude_tags"]
    content_rating: str = _D["content_rating"]
    preserve_plex_edits: bool = _D["preserve_plex_edits"]
    skip_plex_scan: bool = _D["skip_plex_scan"]
    max_retries: Annotated[int, _checked("max_retries")] = _D["max_retries"]
    connect_timeout: Annotated[float, _checked("connect_timeout")] = _D["connect_timeout"]
    read_timeout: Annotated[float, _checked("read_timeout")] = _D["read_timeout"]
    plex_write_delay_ms: Annotated[int, _checked("plex_write_delay_ms")] = _D["plex_write_delay_ms"]
    worker_time_slice: Annotated[int, _checked("worker_time_slice")] = _D["worker_time_slice"]
    reconcile_interval: Literal["never", "hourly", "daily", "weekly"] = _D["reconcile_interval"]
    reconcile_scope: Literal["all", "24h", "7days"] = _D["reconcile_scope"]
    reconcile_skip_missing: bool = _D["reconcile_skip_missing"]
    reconcile_verify_plex: bool = _D["reconcile_verify_plex"]
    debug_logging: bool = _D["debug_logging"]

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

    def redacted(self) -> dict[str, object]:
        """Every setting with secrets shown as `***` (or "" when unset): for status output."""
        return _redact(self.model_dump())

    def snapshot_values(self) -> dict[str, object]:
        """The non-secret settings, as the hook path reads them from the snapshot file."""
        return {k: v for k, v in self.model_dump().items() if k not in secret_keys()}


def _redact(values: Mapping[str, object]) -> dict[str, object]:
    secrets = secret_keys()
    return {k: (REDACTED if k in secrets and v else v) for k, v in values.items()}


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
    """`resolved.values` with secrets masked, for status output when the config is unusable."""
    return _redact(resolved.values)


def load_config(raw: Mapping[str, object], warn: Callable[[str], None]) -> Stash2PlexConfig:
    """The config from Stash's stored settings map (see the module docstring).

    `warn` receives one line per bad or unknown value. Raises ConfigError when plex_url or
    plex_token is missing or invalid.
    """
    resolved = resolve_settings(raw, warn)
    if resolved.missing:
        raise ConfigError(config_error_message(resolved))
    return Stash2PlexConfig(**resolved.values)  # type: ignore[arg-type]
