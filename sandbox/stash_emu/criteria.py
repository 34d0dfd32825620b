"""Stash filter criteria as predicates, with Stash's SQL semantics (pkg/sqlite/sql.go).

String criteria use SQLite LIKE (ASCII case-insensitive, % and _ wildcards, no escape),
INCLUDES/EXCLUDES split the value into words unless it is wrapped in double quotes, and
dates and timestamps compare as **text** against the stored value. SQL NULL semantics are
kept: a comparison with a missing value is false, so NOT LIKE does not match NULL either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any


class FilterError(Exception):
    """A filter or sort Stash rejects; becomes a GraphQL resolver error."""


StrPred = Callable[[str | None], bool]


@lru_cache(maxsize=4096)
def like_regex(pattern: str) -> re.Pattern[str]:
    """SQLite LIKE without ESCAPE as a regex for `.search`: % any run, _ one character,
    ASCII letters case-folded only. Leading/trailing % become unanchored ends (no `.*`
    backtracking on 50,000 paths)."""
    body = pattern.strip("%")
    parts = ["\\A" if not pattern.startswith("%") else ""]
    for char in body:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if not pattern.endswith("%") or not body:
        parts.append("\\Z" if body or not pattern else "")
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE | re.ASCII)


def like(value: str | None, pattern: str) -> bool:
    return value is not None and like_regex(pattern).search(value) is not None


def search_terms(value: str) -> tuple[list[str], bool]:
    """Words OR-ed by INCLUDES (AND-ed NOT by EXCLUDES), or the exact phrase when quoted.

    Go's strings.Trim(q, '"') strips every leading and trailing quote, so any quote at
    either end switches to phrase mode.
    """
    stripped = value.strip()
    trimmed = stripped.strip('"')
    if trimmed != stripped:
        return [trimmed], True
    return re.sub(r"\s+", " ", stripped).split(" "), False


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FilterError(f"error parsing regexp: {exc}") from None


def string_predicate(crit: dict[str, Any]) -> StrPred:
    """Predicate for one stored value (None = SQL NULL) under a StringCriterionInput."""
    value: str = crit["value"]
    modifier: str = crit["modifier"]
    if modifier == "EQUALS":
        return lambda v: like(v, value)
    if modifier == "NOT_EQUALS":
        return lambda v: v is not None and not like(v, value)
    if modifier in ("INCLUDES", "EXCLUDES"):
        words, _ = search_terms(value)
        patterns = [like_regex(f"%{w}%") for w in words]
        if modifier == "INCLUDES":
            return lambda v: v is not None and any(p.search(v) for p in patterns)
        return lambda v: v is not None and not any(p.search(v) for p in patterns)
    if modifier == "MATCHES_REGEX":
        rx = _regex(value)
        return lambda v: v is not None and rx.search(v) is not None
    if modifier == "NOT_MATCHES_REGEX":
        rx = _regex(value)
        return lambda v: v is None or rx.search(v) is None
    if modifier == "IS_NULL":
        return lambda v: v is None or v.strip() == ""
    if modifier == "NOT_NULL":
        return lambda v: v is not None and v.strip() != ""
    raise FilterError("unsupported string filter modifier")


def any_row(pred: StrPred, values: Iterable[str | None]) -> bool:
    """A joined column (a scene's files): the scene matches when any row does.

    With no rows, SQL's LEFT JOIN still yields one row of NULL.
    """
    rows = list(values) or [None]
    return any(pred(v) for v in rows)


def int_predicate(crit: dict[str, Any]) -> Callable[[float | None], bool]:
    value = crit["value"]
    upper = crit.get("value2")
    upper = 0 if upper is None else upper
    modifier = crit["modifier"]
    checks: dict[str, Callable[[float], bool]] = {
        "EQUALS": lambda v: v == value,
        "NOT_EQUALS": lambda v: v != value,
        "GREATER_THAN": lambda v: v > value,
        "LESS_THAN": lambda v: v < value,
        "BETWEEN": lambda v: value <= v <= upper,
        "NOT_BETWEEN": lambda v: not value <= v <= upper,
    }
    if modifier == "IS_NULL":
        return lambda v: v is None
    if modifier == "NOT_NULL":
        return lambda v: v is not None
    check = checks.get(modifier)
    if check is None:
        raise FilterError(f"unsupported int filter modifier: {modifier}")
    return lambda v: v is not None and check(v)


def text_predicate(crit: dict[str, Any], default_upper: Callable[[], str]) -> StrPred:
    """Date and timestamp criteria: plain string comparison with the stored text.

    `value2` of BETWEEN defaults to now + 1 day in the server's format, as Stash binds it.
    """
    value: str = crit["value"]
    modifier: str = crit["modifier"]
    if modifier == "IS_NULL":
        return lambda v: v is None
    if modifier == "NOT_NULL":
        return lambda v: v is not None
    upper = crit.get("value2")
    if modifier in ("BETWEEN", "NOT_BETWEEN") and upper is None:
        upper = default_upper()
    checks: dict[str, Callable[[str], bool]] = {
        "EQUALS": lambda v: v == value,
        "NOT_EQUALS": lambda v: v != value,
        "GREATER_THAN": lambda v: v > value,
        "LESS_THAN": lambda v: v < value,
        "BETWEEN": lambda v: value <= v <= upper,
        "NOT_BETWEEN": lambda v: not value <= v <= upper,
    }
    check = checks.get(modifier)
    if check is None:
        raise FilterError("unsupported date modifier type")
    return lambda v: v is not None and check(v)


def _ids(values: Iterable[Any] | None) -> list[int]:
    out = []
    for raw in values or []:
        try:
            out.append(int(raw))
        except (TypeError, ValueError):
            raise FilterError(f'strconv.Atoi: parsing "{raw}": invalid syntax') from None
    return out


def multi_predicate(
    crit: dict[str, Any], expand: Callable[[int], set[int]] | None = None
) -> Callable[[set[int]], bool]:
    """Multi-valued relations (performers, tags, groups): `expand` adds hierarchy levels."""
    modifier = crit["modifier"]
    expand = expand or (lambda i: {i})
    groups = [expand(i) for i in _ids(crit.get("value"))]
    excluded: set[int] = set()
    for i in _ids(crit.get("excludes")):
        excluded |= expand(i)
    if modifier == "IS_NULL":
        return lambda have: not have
    if modifier == "NOT_NULL":
        return lambda have: bool(have)
    every: set[int] = set().union(*groups) if groups else set()

    def base(have: set[int]) -> bool:
        if not groups:
            return True
        if modifier == "INCLUDES":
            return not have.isdisjoint(every)
        if modifier == "INCLUDES_ALL":
            return all(not have.isdisjoint(g) for g in groups)
        if modifier == "EXCLUDES":
            return have.isdisjoint(every)
        if modifier == "EQUALS":
            return all(not have.isdisjoint(g) for g in groups) and len(have) == len(groups)
        raise FilterError(f"unsupported modifier {modifier} for multi criterion")

    if modifier not in ("INCLUDES", "INCLUDES_ALL", "EXCLUDES", "EQUALS"):
        raise FilterError(f"unsupported modifier {modifier} for multi criterion")
    return lambda have: base(have) and have.isdisjoint(excluded)


def single_predicate(
    crit: dict[str, Any], expand: Callable[[int], set[int]] | None = None
) -> Callable[[int | None], bool]:
    """A single-valued relation (a scene's studio) under a (hierarchical) multi criterion."""
    multi = multi_predicate(crit, expand)
    modifier = crit["modifier"]
    constrained = bool(crit.get("value"))

    def check(value: int | None) -> bool:
        if value is None:
            if modifier in ("IS_NULL", "EXCLUDES"):
                return True
            return modifier != "NOT_NULL" and not constrained
        return multi({value})

    return check


def descendants(
    root: int, children_of: Callable[[int], Iterable[int]], depth: int | None
) -> set[int]:
    """`root` plus `depth` levels of children (-1 = all levels, None or 0 = none)."""
    found = {root}
    frontier = {root}
    level = 0
    limit = -1 if depth is not None and depth < 0 else (depth or 0)
    while frontier and (limit < 0 or level < limit):
        frontier = {c for parent in frontier for c in children_of(parent)} - found
        found |= frontier
        level += 1
    return found
