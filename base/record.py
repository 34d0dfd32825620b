"""`Record`: the hook path's small value objects (slots, repr, equality) without `dataclasses`.

Standard library only, no imports. Importing `dataclasses` (it imports `inspect`) and
generating each class's methods costs every hook process about 18 ms of a 50 ms goal
(docs/benchmarks.md), so modules a hook imports declare plain `__slots__` classes with typed
`__init__`s on this base instead. Treat instances as immutable. Task-side code uses dataclasses.
"""

from __future__ import annotations

__all__ = ["Record"]


class Record:
    """Base class: fields are the `__slots__` of the class and its bases, in order.

    `_repr_hidden` names fields kept out of `repr` (secrets, bulky raw input).
    """

    __slots__ = ()
    _repr_hidden: tuple[str, ...] = ()

    @classmethod
    def _field_names(cls) -> tuple[str, ...]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names.extend(klass.__dict__.get("__slots__", ()))
        return tuple(names)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._field_names())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self._field_names()
            if name not in self._repr_hidden
        )
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))
