"""The project's exception hierarchy: every failure the code classifies is one of these.

Retry and exit-status policy decide on the class, never on message text. Messages are one
clear line for Stash's log, say where to fix things when the user can, and never carry secrets.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DependencyError",
    "InvocationError",
    "LockTimeout",
    "PlexAuthError",
    "PlexError",
    "PlexNotFound",
    "PlexServerDown",
    "PlexTransient",
    "Stash2PlexError",
    "StashAuthError",
    "StashError",
    "StashUnavailable",
    "UnknownMode",
]


class Stash2PlexError(Exception):
    """Base of every error the plugin raises on purpose; `str(exc)` is the log line."""


class InvocationError(Stash2PlexError):
    """stdin was not an invocation Stash sends (empty, not JSON, wrong shape)."""


class UnknownMode(InvocationError):
    """A task mode or hook trigger with no handler in the dispatch table."""


class ConfigError(Stash2PlexError):
    """The plugin settings cannot be used (e.g. plex_url or plex_token missing)."""


class DependencyError(Stash2PlexError):
    """A required package is missing and could not be installed; says the exact command."""


class LockTimeout(Stash2PlexError):
    """A file lock held by another process was not released in time."""


class StashError(Stash2PlexError):
    """Base of failures talking to Stash."""


class StashUnavailable(StashError):
    """Stash did not answer usefully (refused, timed out, 5xx, unreadable)."""


class StashAuthError(StashError):
    """Stash refused our credentials (401/403)."""


class PlexError(Stash2PlexError):
    """Base of failures talking to Plex."""


class PlexServerDown(PlexError):
    """Plex unreachable or timing out: stop the run, keep every job queued."""


class PlexAuthError(PlexError):
    """Plex rejected the token (401): stop the run, keep every job queued."""


class PlexNotFound(PlexError):
    """The item, section or resource does not exist on Plex (404)."""


class PlexTransient(PlexError):
    """A failure worth retrying later with backoff (5xx, 429, a broken response)."""
