"""Helpers every resolver uses: projected results, id parsing, the request context.

A resolver returning `Precompleted` hands graphql-core a value that is already the final JSON
for its field (see gql.FastExecutor), so objects are rendered in one pass by render.project.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.stash_emu.render import project
from sandbox.stash_emu.selection import plan
from sandbox.stash_emu.state import RequestContext

_ATOI_RE = re.compile(r"[+-]?[0-9]+")


class Precompleted:
    """A field value already projected to JSON."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def context(info: Any) -> RequestContext:
    return info.context


def projected(info: Any, type_name: str, value: Any) -> Precompleted:
    """Project a model object (or a list of them) for the field `info` describes."""
    if value is None:
        return Precompleted(None)
    rc = context(info).render_context()
    selection = plan(info)
    if isinstance(value, list):
        return Precompleted([project(v, type_name, selection, rc) for v in value])
    return Precompleted(project(value, type_name, selection, rc))


def parse_id(raw: Any) -> int:
    """Stash parses ids with strconv.Atoi; reproduce its error text."""
    if isinstance(raw, int):
        return raw
    text = str(raw)
    if _ATOI_RE.fullmatch(text) is None:
        raise ValueError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def parse_ids(raw: list[Any] | None) -> list[int]:
    return [parse_id(r) for r in raw or []]


def plain_number(value: Any) -> Any:
    """Stash's config store returns integral NUMBER settings as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_number(v) for v in value]
    return value
