"""What a group (a movie before Stash v0.27) or a studio says about itself, for its Plex
collection (issue 19): name, synopsis or details, and its image URL.

One GraphQL request per 100 entities, singular `findGroup`/`findMovie`/`findStudio` under
aliases (every supported release has them: stash-schemas/v0.24.3 `findMovie(id: ID!)`,
`findStudio(id: ID!)`; v0.27.2 adds `findGroup(id: ID!)`). The form (groups or movies) comes
from `stash.forms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from stash.forms import GROUPS, uses

__all__ = ["EntityDetails", "fetch_entity_details"]

_CHUNK = 100
# Selections per kind: (query field per form, summary field, image field).
_GROUP_FIELDS = "id name synopsis front_image_path"
_STUDIO_FIELDS = "id name details image_path"


class _Stash(Protocol):
    def call(self, query: str, variables: dict[str, object] | None = None) -> dict[str, Any]: ...

    @property
    def version_info(self) -> tuple[int, int, int]: ...


@dataclass(frozen=True)
class EntityDetails:
    kind: str  # "group" or "studio"
    entity_id: int
    name: str
    summary: str  # synopsis (group) or details (studio); "" when none
    image_url: str | None  # front image (group) or image (studio); may be a placeholder URL


def _field(kind: str, groups: bool) -> tuple[str, str]:
    if kind == "studio":
        return "findStudio", _STUDIO_FIELDS
    return ("findGroup" if groups else "findMovie"), _GROUP_FIELDS


def fetch_entity_details(
    stash: _Stash, entities: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], EntityDetails]:
    """Details of every (kind, id) Stash still has (a deleted one is simply absent)."""
    wanted = list(dict.fromkeys((k, int(i)) for k, i in entities if k in ("group", "studio")))
    groups = uses(stash.version_info, GROUPS)
    found: dict[tuple[str, int], EntityDetails] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        parts = []
        for n, (kind, entity_id) in enumerate(chunk):
            name, fields = _field(kind, groups)
            parts.append(f'e{n}: {name}(id: "{entity_id}") {{ {fields} }}')
        data = stash.call("query CollectionDetails {\n" + "\n".join(parts) + "\n}")
        for n, (kind, entity_id) in enumerate(chunk):
            entry = data.get(f"e{n}")
            if not isinstance(entry, dict):
                continue
            summary = entry.get("synopsis") if kind == "group" else entry.get("details")
            image = entry.get("front_image_path") if kind == "group" else entry.get("image_path")
            found[(kind, entity_id)] = EntityDetails(
                kind,
                entity_id,
                str(entry.get("name") or ""),
                summary if isinstance(summary, str) else "",
                image if isinstance(image, str) and image else None,
            )
    return found
