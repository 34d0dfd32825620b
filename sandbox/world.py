"""One running sandbox: a generated library loaded into both emulators, plugin configured.

Used by `python -m sandbox serve`, the pytest fixtures, the demo and the benchmarks, so all
of them start the same world the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.generator import GeneratedLibrary, GeneratorOptions, generate
from sandbox.harness import MANIFEST_FILE, REPO_ROOT, PluginHarness, StashPluginRunner
from sandbox.plex_emu import PlexEmulator
from sandbox.stash_emu import StashEmulator
from sandbox.stash_emu.releases import LATEST


@dataclass
class Sandbox:
    """Both emulators, the generated library behind them and a harness pointed at them."""

    generated: GeneratedLibrary
    plex: PlexEmulator
    stash: StashEmulator
    harness: PluginHarness
    runner: StashPluginRunner
    extra_settings: dict[str, object] = field(default_factory=dict)

    def plugin_settings(self) -> dict[str, object]:
        settings: dict[str, object] = {
            "plex_url": self.plex.url,
            "plex_token": self.plex.token,
        }
        path_map = self.generated.truth.path_map
        if path_map:
            settings["path_map"] = path_map
        settings.update(self.extra_settings)
        return settings

    def configure_plugin(self, **settings: object) -> None:
        """Store plugin settings in Stash as the Settings page would (the whole map)."""
        self.extra_settings.update(settings)
        self.stash.set_plugin_settings(self.plugin_id, self.plugin_settings())

    @property
    def plugin_id(self) -> str:
        """The id Stash knows the plugin by (its manifest's file name), settings' key."""
        return self.harness.plugin_id

    def stop(self) -> None:
        self.stash.stop()
        self.plex.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    options: GeneratorOptions | None = None,
    *,
    data_dir: Path | None = None,
    plex_port: int = 0,
    stash_port: int = 0,
    latency_s: float = 0.0,
    run_jobs_inline: bool = True,
    plugin_dir: Path = REPO_ROOT,
    manifest_file: str = MANIFEST_FILE,
    stash_release: str = LATEST,
) -> Sandbox:
    """`stash_release`: the Stash emulator's release mode (sandbox/stash_emu/releases.py)."""
    generated = generate(options or GeneratorOptions())
    plex = PlexEmulator(library=generated.plex, port=plex_port).start()
    stash = StashEmulator(
        library=generated.stash,
        port=stash_port,
        tz_offset=generated.options.tz_offset,
        release=stash_release,
    ).start()
    plex.knobs.latency_s = latency_s
    stash.knobs.latency_s = latency_s
    harness = PluginHarness(
        plugin_dir=plugin_dir, stash_url=stash.url, data_dir=data_dir, manifest_file=manifest_file
    )
    runner = StashPluginRunner(harness)
    stash.plugin_runner = runner
    stash.run_jobs_inline = run_jobs_inline
    world = Sandbox(generated, plex, stash, harness, runner)
    world.configure_plugin()
    return world
