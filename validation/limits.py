"""Every size limit the plugin enforces, in one place (SPEC §2.5: "All limits live in one module").

Values only; the code applying them lives in `validation.sanitize`, `validation.desired` and
`plex.diff`. Lengths are in Unicode code points unless the name says bytes.
"""

from __future__ import annotations

__all__ = [
    "MAX_ACTORS",
    "MAX_COLLECTIONS",
    "MAX_CONTENT_RATING_CHARS",
    "MAX_EDIT_QUERY_BYTES",
    "MAX_GENRES",
    "MAX_NAME_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "PLEX_FETCH_BATCH",
    "PLEX_LISTING_PAGE_SIZE",
]

# Free text (Stash `details` -> Plex `summary`); line breaks are kept.
MAX_SUMMARY_CHARS = 10_000

# Any single-line name: studio, performer, tag, collection (SPEC: "Names <= 255 characters").
MAX_NAME_CHARS = 255

# The title is a single-line name as well; kept separate so it can change on its own.
MAX_TITLE_CHARS = 255

# The content rating is a short label ("R", "de/16"); a name limit is generous.
MAX_CONTENT_RATING_CHARS = 255

# Tag lists per item.
MAX_ACTORS = 200
MAX_GENRES = 200
# SPEC is silent on collections; they come from studio, parent studio and groups, so the same
# bound as the other tag lists is far above anything real and still stops a runaway list.
MAX_COLLECTIONS = 200

# One edit PUT's query string, measured as sent on the wire (percent-encoded, brackets in keys
# encoded as %5B/%5D by urllib3). Larger edits are split (see `plex.diff.encode_edit`).
MAX_EDIT_QUERY_BYTES = 8 * 1024

# Paged raw listing of a section (SPEC §2.4) and keys per multi-fetch (plex.md §6).
PLEX_LISTING_PAGE_SIZE = 2_000
PLEX_FETCH_BATCH = 100
