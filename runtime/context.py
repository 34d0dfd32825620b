"""What every handler receives: the invocation, the log, folders, and lazy settings access.

Standard library only at import time. Settings come from a `SettingsSource` callable (the
seam to Stash); reading them registers the Plex token with the redactor, applies
`debug_logging`, and refreshes the settings snapshot the hook path reads. Hooks use
`snapshot()` instead and never ask Stash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from base.datadir import ensure_data_dir
from runtime.invocation import Invocation
from stash.log import StashLog

TYPE_CHECKING = False  # typing and pydantic stay out of the hook path
if TYPE_CHECKING:
    from validation.config import ResolvedSettings, Stash2PlexConfig
    from validation.snapshot import Snapshot

__all__ = ["RETIRED_NOTED_FILE", "Context", "SettingsSource"]

RETIRED_NOTED_FILE = "settings_1x_noted.json"

# Reads the plugin's stored settings map from Stash for a handler (see plugin.settings_source).
SettingsSource = Callable[["Context"], Mapping[str, object]]


class Context:
    """Per-invocation services for a handler. Settings are read at most once."""

    def __init__(
        self,
        invocation: Invocation,
        log: StashLog,
        plugin_dir: Path,
        data_dir: Path,
        settings_source: SettingsSource,
        services: object | None = None,
    ) -> None:
        self.invocation = invocation
        self.log = log
        self.plugin_dir = plugin_dir
        self.data_dir = data_dir
        self.settings_source = settings_source
        # The worker's replaceable parts (`worker.services.WorkerServices`; tests inject a
        # scripted step), typed loosely because the context sits below the worker. None =
        # the production parts.
        self.services = services
        self._resolved: ResolvedSettings | None = None

    def __repr__(self) -> str:
        return f"Context({self.invocation!r}, data_dir={str(self.data_dir)!r})"

    @property
    def plugin_id(self) -> str:
        """Stash's id for this plugin: its manifest's file name (see runtime.plugin_id)."""
        from runtime.plugin_id import plugin_id_of

        return plugin_id_of(self.plugin_dir)[0]

    def ensure_data_dir(self) -> Path:
        """The data folder, created if needed."""
        return ensure_data_dir(self.data_dir)

    def progress(self, fraction: float) -> None:
        self.log.progress(fraction)

    def snapshot(self) -> Snapshot:
        """The settings snapshot (defaults when absent): the hook path's settings."""
        from validation.snapshot import read_snapshot

        snap = read_snapshot(self.data_dir)
        if snap.problem:
            self.log.debug(f"settings snapshot ignored: {snap.problem}")
        return snap

    def resolved_settings(self) -> ResolvedSettings:
        """Stash's stored settings read leniently into the config (warnings logged once).

        Raises StashError when Stash cannot be asked; never for a bad value.
        """
        if self._resolved is None:
            from validation.config import resolve_settings
            from validation.setting_keys import canonical_keys

            raw = self.settings_source(self)
            if isinstance(raw, Mapping):
                raw = canonical_keys(raw)  # `plexToken` on Stash v0.24/v0.25
                self.log.add_secret(str(raw.get("plex_token") or ""))
            resolved = resolve_settings(raw, self.log.warning)
            self.log.add_secret(str(resolved.values.get("plex_token") or ""))
            self.log.debug_enabled = resolved.values.get("debug_logging") is True
            self.log.redactor.hide_paths = resolved.values.get("hide_paths") is True
            self._refresh_snapshot(resolved)
            self._name_retired_once(resolved.retired)
            self._resolved = resolved
        return self._resolved

    def config(self) -> Stash2PlexConfig:
        """The validated config. Raises ConfigError when plex_url/plex_token are unusable."""
        from validation.config import require_config

        return require_config(self.resolved_settings())

    def _name_retired_once(self, retired: list[str]) -> None:
        """Stash2Plex 1.x settings that mean nothing here: one info line, once per set of
        names (remembered in the data folder, so not on every run)."""
        if not retired:
            return
        import json

        from base.fileio import atomic_write_bytes

        memory = self.data_dir / RETIRED_NOTED_FILE
        try:
            noted = json.loads(memory.read_bytes())
        except (OSError, ValueError):
            noted = []
        if isinstance(noted, list) and set(retired) <= set(noted):
            return
        why = " (matching here is always strict)" if "strict_matching" in retired else ""
        self.log.info(
            "Settings kept from Stash2Plex 1.x that this version does not use: "
            f"{', '.join(retired)}{why}. Nothing to do; they can stay saved"
        )
        try:
            atomic_write_bytes(
                self.ensure_data_dir() / RETIRED_NOTED_FILE, json.dumps(retired).encode()
            )
        except OSError as exc:
            self.log.debug(f"could not remember the retired settings: {exc}")

    def _refresh_snapshot(self, resolved: ResolvedSettings) -> None:
        from validation.snapshot import write_snapshot

        try:
            write_snapshot(self.ensure_data_dir(), resolved.values, configured=not resolved.missing)
        except OSError as exc:
            self.log.warning(f"Could not save the settings snapshot: {exc}")
