"""The plugin's identity: id, name, description and version, shown in the manifest, status and
Health Check. Standard library only.
"""

from __future__ import annotations

__version__ = "0.1.0"
PLUGIN_ID = "Stash2Plex"
PLUGIN_NAME = "Stash2Plex"
# The project's home, shown by Stash as the plugin's link. A release build writes the URL of
# the repository it is published from instead (scripts/package.py --url, .github/workflows).
PLUGIN_URL = "https://github.com/Stash2Plex/Stash2Plex"
PLUGIN_DESCRIPTION = (
    "Pushes Stash scene metadata (title, details, date, rating, studio, performers, tags, "
    "groups, cover) to the Plex items playing the same files: right after each edit, "
    "reliably when Plex is down, and by periodic reconciliation."
)

__all__ = ["PLUGIN_DESCRIPTION", "PLUGIN_ID", "PLUGIN_NAME", "PLUGIN_URL", "__version__"]
