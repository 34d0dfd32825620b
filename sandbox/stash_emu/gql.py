"""GraphQL execution for the Stash emulator: graphql-core over the project's compact SDL.

Parse and validation errors (and variables of the wrong type) answer HTTP 422 with
`extensions.code = GRAPHQL_VALIDATION_FAILED` and `data: null`, as gqlgen does; resolver
errors answer 200 with `errors[].path`. Parsed and validated documents are cached per query
text, and resolvers may return `Precompleted` values that skip graphql-core's per-field
completion (the speed of a 500-scene page depends on it). Each release mode serves its own
schema (`releases.py`); `DOCUMENT_OBSERVERS` sees every document a mode's schema accepted
(the test suite's validation guard checks it against the real schemas).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_ast_schema,
    execute_sync,
    parse,
    validate,
)

from sandbox.stash_emu import (
    entity_mutations,
    library_jobs,
    play_mutations,
    queries,
    scene_mutations,
)
from sandbox.stash_emu.releases import LATEST, release_document
from sandbox.stash_emu.resolving import Precompleted
from sandbox.stash_emu.state import RequestContext

try:
    from graphql import Executor as _BaseExecutor

    _EXECUTOR_ARG = "executor_class"
except ImportError:  # graphql-core 3.2 names the same seam differently
    from graphql import ExecutionContext as _BaseExecutor  # type: ignore[assignment]

    _EXECUTOR_ARG = "execution_context_class"

SDL_PATH = Path(__file__).with_name("schema.graphql")
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# Process-wide: called with (query text, release mode) for every document a release mode's
# schema accepted, before it runs. Observers must be quick and must not raise.
DOCUMENT_OBSERVERS: list[Callable[[str, str], None]] = []


class FastExecutor(_BaseExecutor):  # type: ignore[misc,valid-type]
    """graphql-core's executor, except that Precompleted values are taken as they are."""

    def complete_value(self, return_type: Any, *args: Any) -> Any:  # type: ignore[override]
        result = args[3]
        if isinstance(result, Precompleted):
            return result.value
        return super().complete_value(return_type, *args)


@cache
def load_schema(release: str = LATEST) -> GraphQLSchema:
    """Release `release`'s schema with every resolver bound (built once per process)."""
    schema = build_ast_schema(release_document(SDL_PATH.read_text(encoding="utf-8"), release))
    queries.bind(schema)
    mutation = schema.mutation_type
    assert mutation is not None
    resolvers = {
        **scene_mutations.RESOLVERS,
        **entity_mutations.RESOLVERS,
        **library_jobs.RESOLVERS,
        **play_mutations.RESOLVERS,
    }
    for name, fn in resolvers.items():
        if name in mutation.fields:  # older releases lack some (groupUpdate before v0.27)
            mutation.fields[name].resolve = fn
    return schema


@dataclass
class Outcome:
    status: int
    payload: dict[str, Any]
    root_fields: list[str]


class DocumentCache:
    """Parsed + validated documents keyed by query text (clients resend identical text)."""

    def __init__(self, schema: GraphQLSchema, size: int = 256) -> None:
        self._schema = schema
        self._size = size
        self._docs: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        with self._lock:
            found = self._docs.get(query)
            if found is not None:
                self._docs.move_to_end(query)
                return found
        try:
            document: DocumentNode | None = parse(query)
            errors = list(validate(self._schema, document))  # type: ignore[arg-type]
        except GraphQLError as exc:
            document, errors = None, [exc]
        with self._lock:
            self._docs[query] = (document, errors)
            while len(self._docs) > self._size:
                self._docs.popitem(last=False)
        return document, errors


def root_fields(document: DocumentNode | None, operation_name: str | None) -> list[str]:
    """Names of the selected operation's root fields, for request-log labels."""
    if document is None:
        return []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (o for o in operations if operation_name and o.name and o.name.value == operation_name),
        operations[0] if operations else None,
    )
    if chosen is None:
        return []
    names = [s.name.value for s in chosen.selection_set.selections if isinstance(s, FieldNode)]
    return list(dict.fromkeys(names))


def _validation_failure(errors: list[GraphQLError], fields: list[str]) -> Outcome:
    formatted = []
    for error in errors:
        item = dict(error.formatted)
        item.pop("path", None)
        item["extensions"] = {"code": VALIDATION_FAILED}
        formatted.append(item)
    return Outcome(422, {"errors": formatted, "data": None}, fields)


class Engine:
    def __init__(self, release: str = LATEST) -> None:
        self.release = release
        self.schema = load_schema(release)
        self.documents = DocumentCache(self.schema)

    def execute(self, body: Any, ctx: RequestContext) -> Outcome:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            error = GraphQLError("no operation provided")
            return _validation_failure([error], [])
        query: str = body["query"]
        operation_name = body.get("operationName") or None
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _validation_failure([GraphQLError("variables must be an object")], [])
        document, errors = self.documents.get(query)
        fields = root_fields(document, operation_name)
        if errors or document is None:
            return _validation_failure(errors, fields)
        for observe in list(DOCUMENT_OBSERVERS):
            observe(query, self.release)
        result = execute_sync(
            self.schema,
            document,
            context_value=ctx,
            variable_values=variables,
            operation_name=operation_name,
            **{_EXECUTOR_ARG: FastExecutor},
        )
        if result.errors and result.data is None and all(e.path is None for e in result.errors):
            # Variable coercion and operation selection fail before execution: gqlgen 422.
            return _validation_failure(list(result.errors), fields)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [dict(e.formatted) for e in result.errors]
        payload["data"] = result.data
        return Outcome(200, payload, fields)
