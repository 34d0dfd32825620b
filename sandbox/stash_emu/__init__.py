"""Stash GraphQL server emulator: the real stashapi clients and the plugin talk to it unchanged.

See docs/sandbox-stash.md for what is emulated, the knobs, and where the reference was silent.
"""

from sandbox.stash_emu.jobs import Job, PluginRunner
from sandbox.stash_emu.server import StashEmulator
from sandbox.stash_emu.state import HookCall

__all__ = ["HookCall", "Job", "PluginRunner", "StashEmulator"]
