"""The suite's GraphQL guard: every document the Stash emulator accepts, checked against the
real schema of each release the plugin claims for that document.

The plugin picks its version-specific forms from Stash's version (`stash.forms.forms_for`), so
a document sent to an emulator in release mode M is one the plugin also sends to every release
with the same forms as M: a v0.30.1-mode document is claimed for v0.27.2 … v0.30.1 and develop.
Each is validated with graphql-core against `../shared/reference/stash-schemas/<tag>/` (and
`stash-schema/` for develop), once per (document text, release). tests/conftest.py registers
one guard per process and fails the test during which an invalid document arrived.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate

from sandbox.stash_emu.releases import RELEASES
from stash.fields import parse_version
from stash.forms import forms_for

__all__ = ["DEVELOP", "SCHEMA_TAGS", "GraphQLGuard", "claimed_releases"]

DEVELOP = "develop"
SCHEMA_TAGS = (*RELEASES, DEVELOP)
# develop reports `v0.30.1-<n>-g<hash>` (the last tag before it), which the plugin reads as
# (0, 30, 1): develop gets v0.30.1's forms.
_DEVELOP_VERSION = (0, 30, 1)


def _version(tag: str) -> tuple[int, int, int]:
    return _DEVELOP_VERSION if tag == DEVELOP else parse_version(tag)


def claimed_releases(mode: str) -> tuple[str, ...]:
    """The releases whose forms equal release mode `mode`'s."""
    forms = forms_for(_version(mode))
    return tuple(tag for tag in SCHEMA_TAGS if forms_for(_version(tag)) == forms)


def _operation(document_text: str) -> str:
    try:
        document = parse(document_text)
    except Exception:
        return "(unparsable document)"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if definition.name is not None:
                return definition.name.value
            fields = [getattr(s, "name", None) for s in definition.selection_set.selections]
            return "{ " + ", ".join(f.value for f in fields if f is not None) + " }"
    return "(no operation)"


class GraphQLGuard:
    """Validates observed documents; collects failures until `take()` (thread-safe)."""

    def __init__(self, reference: Path, sharing: GraphQLGuard | None = None) -> None:
        """`sharing`: another guard whose built schemas this one uses too (they are
        read-only; building one takes about half a second)."""
        self._reference = reference
        self._schemas: dict[str, GraphQLSchema] = sharing._schemas if sharing else {}
        self._verdicts: dict[tuple[str, str], str] = {}  # "" = valid, else graphql's error
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self.validated: Counter[str] = Counter()  # documents checked per release
        self.errors = 0

    def _schema(self, tag: str) -> GraphQLSchema:
        with self._lock:
            found = self._schemas.get(tag)
        if found is not None:
            return found
        folder = (
            self._reference / "stash-schema"
            if tag == DEVELOP
            else self._reference / "stash-schemas" / tag
        )
        files = [folder / "schema.graphql", *sorted((folder / "types").glob("*.graphql"))]
        schema = build_schema("\n".join(f.read_text(encoding="utf-8") for f in files))
        with self._lock:
            return self._schemas.setdefault(tag, schema)

    def prepare(self, mode: str) -> None:
        """Build the schemas release mode `mode` claims now (≈0.5 s each), so that no test's
        first request pays for them."""
        for tag in claimed_releases(mode):
            self._schema(tag)

    def verdict(self, document_text: str, tag: str) -> str:
        """'' when the document is valid on release `tag`, else graphql's first error."""
        key = (document_text, tag)
        with self._lock:
            found = self._verdicts.get(key)
        if found is not None:
            return found
        try:
            errors = validate(self._schema(tag), parse(document_text))
            verdict = errors[0].message if errors else ""
        except Exception as exc:  # a parse error: the emulator would not have run it
            verdict = str(exc)
        with self._lock:
            self._verdicts[key] = verdict
        return verdict

    def observe(self, document_text: str, mode: str) -> None:
        """The emulator's seam (`gql.DOCUMENT_OBSERVERS`): check one accepted document."""
        for tag in claimed_releases(mode):
            verdict = self.verdict(document_text, tag)
            with self._lock:
                self.validated[tag] += 1
                if verdict:
                    self.errors += 1
                    self._pending.append(
                        f"GraphQL document {_operation(document_text)} (sent in release mode "
                        f"{mode}) is invalid on Stash {tag}: {verdict}"
                    )

    def take(self) -> list[str]:
        """The failures observed since the last call."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending
