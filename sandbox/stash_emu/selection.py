"""Turns the selection set under a resolved field into a plain projection plan.

graphql-core completes every field of every object one call at a time, which is far too slow
for a page of 500 scenes; the emulator instead projects its objects straight to JSON with
this plan (fragments inlined, @skip/@include applied, same-key fields merged). The query has
already been validated, so only the shape is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_directive_values,
)


@dataclass(frozen=True)
class Selected:
    """One response key: the schema field it reads and, for objects, what to select below."""

    key: str
    field: str
    sub: tuple[Selected, ...] | None


def plan(info: Any) -> tuple[Selected, ...]:
    """The projection plan below the field that `info` (a GraphQLResolveInfo) describes."""
    sets = [node.selection_set for node in info.field_nodes if node.selection_set is not None]
    return _collect(sets, info.fragments, info.variable_values)


def _included(node: Any, variables: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include is not None and include.get("if") is False)


def _collect(
    selection_sets: list[SelectionSetNode], fragments: dict[str, Any], variables: Any
) -> tuple[Selected, ...]:
    fields: dict[str, tuple[str, list[SelectionSetNode]]] = {}
    visited: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> None:
        for node in selection_set.selections:
            if node.directives and not _included(node, variables):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                entry = fields.setdefault(key, (node.name.value, []))
                if node.selection_set is not None:
                    entry[1].append(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in visited or name not in fragments:
                    continue
                visited.add(name)
                walk(fragments[name].selection_set)
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return tuple(
        Selected(key, name, _collect(subs, fragments, variables) if subs else None)
        for key, (name, subs) in fields.items()
    )
