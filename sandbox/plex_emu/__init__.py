"""Plex Media Server emulator: a loopback PMS the real plexapi talks to unchanged.

`PlexEmulator` is the entry point; see docs/sandbox-plex.md for routes, modes and choices.
"""

from sandbox.plex_emu.app import PlexEmulator
from sandbox.plex_emu.state import PlexModes, ScanEvent, ScanRequest

__all__ = ["PlexEmulator", "PlexModes", "ScanEvent", "ScanRequest"]
