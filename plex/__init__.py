"""Plex side: path normalisation, matching, diff and encoding (pure) plus the client edges.

Kept import-light on purpose: importing the pure modules (`plex.paths`, `plex.matching`,
`plex.diff`) must not import plexapi; the client modules are imported explicitly.
"""
