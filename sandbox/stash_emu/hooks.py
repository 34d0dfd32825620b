"""Post hooks as Stash fires them after a mutation commits.

Stash marshals the mutation's Go input struct, so `hookContext.input` carries every member of
the input type in declaration order, unset ones as null, while `inputFields` lists only the
keys the client sent (in Go map order, i.e. random). Hooks run synchronously in the request,
one after another; the emulator records each event and hands it to the PluginRunner.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)

from sandbox.stash_emu.state import HookCall, State


def _unwrap(gql_type: Any) -> Any:
    while isinstance(gql_type, (GraphQLNonNull, GraphQLList)):
        gql_type = gql_type.of_type
    return gql_type


def full_input(schema: GraphQLSchema, type_name: str, value: dict[str, Any]) -> dict[str, Any]:
    """Every member of input type `type_name`, in SDL order, unset ones as None."""
    input_type = schema.type_map[type_name]
    assert isinstance(input_type, GraphQLInputObjectType)
    return {name: _member(field.type, value.get(name)) for name, field in input_type.fields.items()}


def _member(gql_type: Any, value: Any) -> Any:
    if value is None:
        return None
    named = _unwrap(gql_type)
    if isinstance(value, list):
        return [_member(named, v) for v in value]
    if isinstance(named, GraphQLInputObjectType) and isinstance(value, dict):
        return {name: _member(f.type, value.get(name)) for name, f in named.fields.items()}
    if isinstance(named, GraphQLScalarType) and named.name == "Map" and isinstance(value, dict):
        return dict(sorted(value.items()))  # Go marshals maps with sorted keys
    return value


def sent_fields(state: State, value: dict[str, Any]) -> list[str]:
    keys = list(value)
    if state.shuffle_input_fields:
        with state.hook_lock:
            state.rng.shuffle(keys)
    return keys


def fire(
    state: State, trigger: str, obj_id: int, hook_input: object, input_fields: list[str] | None
) -> None:
    """Record the event and run the plugin's hooks for it, blocking like Stash does."""
    call = HookCall(trigger, obj_id, hook_input, input_fields or None)
    with state.hook_lock:
        state.hook_log.append(call)
    runner = state.jobs.runner
    if runner is None:
        return
    try:
        runner.fire_hooks(trigger, obj_id, hook_input, call.input_fields)
    except Exception as exc:  # Stash logs hook failures; the mutation itself succeeded
        call.error = f"{type(exc).__name__}: {exc}"
