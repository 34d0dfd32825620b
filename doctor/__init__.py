"""The setup doctor: the Health Check task (`tasks.health.run_health_check`) and its parts.
Checks Stash, settings, Plex, sections, matching (with a path_map suggestion) and the queue.

Modules: `result` (CheckResult), `checks` (Stash, settings, queue state), `plex_checks`
(Plex and sections, path-index refresh), `sample` (spread Stash sample), `preview` (matching
preview), `suggest` (pure path-map inference), `report` (rendering, verdict), `task` (handler).
"""
