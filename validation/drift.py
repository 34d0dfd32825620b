"""The fingerprint drift detection compares: one digest of a scene's whole desired Plex state.

Pure. Live sync stores `pushed_fingerprint(desired, cover_pending)` for every scene it pushes;
reconciliation recomputes `scene_fingerprint(scene, options, cover_missing)` with the same
builder (`validation.desired.build_desired`) and the same options
(`DesiredOptions.from_config`). A difference means what Plex should show changed although the
scene was not edited: an entity rename, re-parenting, deletion or merge that fired no scene
hook (reference/stash.md §7.7), or a changed setting (skip toggles, `exclude_tags`,
`content_rating`), all of which need a push.

Images are not digested (their bytes are I/O), but one image fact is: whether the cover was
still Stash's placeholder at the push. Generating a cover does not change the scene's
`updated_at`, so without this marker a cover appearing after the push would never be
noticed; with it, the stored value ends in `COVER_PENDING` and differs from the recomputed
one as soon as Stash reports the cover present (`is_missing: "cover"` no longer lists it),
while a scene whose cover is still missing compares equal and is not queued again and again.
"""

from __future__ import annotations

from collections.abc import Mapping

from validation.desired import DesiredItem, DesiredOptions, Skip, build_desired

__all__ = [
    "COVER_PENDING",
    "cover_managed",
    "is_cover_pending",
    "pushed_fingerprint",
    "scene_fingerprint",
]

COVER_PENDING = "+cover-pending"


def cover_managed(options: DesiredOptions) -> bool:
    """Whether the cover is pushed at all (as poster or background)."""
    return not (options.skip_poster and options.skip_background)


def pushed_fingerprint(desired: DesiredItem, cover_pending: bool = False) -> str:
    """The value stored when `desired` was pushed; `cover_pending`: Stash served its
    placeholder (or no usable image) instead of the cover."""
    digest = desired.fingerprint_all()
    return digest + COVER_PENDING if cover_pending else digest


def is_cover_pending(fingerprint: str) -> bool:
    return fingerprint.endswith(COVER_PENDING)


def scene_fingerprint(
    scene: Mapping[str, object], options: DesiredOptions, cover_missing: bool = False
) -> str | None:
    """The fingerprint a push of `scene` would store now; None when it would not be pushed
    (`Skip`: no meaningful metadata, not organized under `require_organized`, bad id).
    `cover_missing`: Stash has no cover for it (counts only when covers are pushed)."""
    desired = build_desired(scene, options)
    if isinstance(desired, Skip):
        return None
    return pushed_fingerprint(desired, cover_missing and cover_managed(options))
