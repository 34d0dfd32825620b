"""How every line a user reads in Stash's log is worded and cut: one line, at most
`INFO_LIMIT` characters at info level, whatever the text it quotes.

Tasks, the worker and Health Check pass their user-facing lines through here. The rules:
say what happened and what to do, in words; no exception class names and no internal keys
(item keys only in debug lines); nothing printed twice. Scenes that were not synced are
told as groups (`group_line`: a count per reason and a few examples by id and title), each
reason's fix once (`fix_line`). Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "EXAMPLES",
    "INFO_LIMIT",
    "TITLE_LIMIT",
    "fix_line",
    "group_line",
    "lead",
    "line",
    "plural",
    "scene_ref",
    "scene_refs",
    "wrap",
]

INFO_LIMIT = 300
TITLE_LIMIT = 40  # characters of a scene title quoted as an example
EXAMPLES = 5  # scenes named as examples in one line
_SPACE = re.compile(r"\s+")


def line(text: str, limit: int = INFO_LIMIT) -> str:
    """`text` as one line (line breaks and runs of white space folded) of at most `limit`
    characters, cut with an ellipsis: a quoted server answer or a long value must not turn
    one log line into a page."""
    folded = _SPACE.sub(" ", text).strip()
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def lead(phrase: str, detail: str, *, head: str | None = None) -> str:
    """`head (detail)`, `head` defaulting to `phrase`, without saying `phrase` twice when
    `detail` already starts with it ("Plex token rejected (401 …)" is not wrapped in another
    "Plex token rejected (…)"); `head` then replaces it ("Plex token rejected again (401 …)").
    """
    head = head or phrase
    text = " ".join(detail.split())
    if not text:
        return head
    if text.lower().startswith(phrase.lower()):
        rest = text[len(phrase) :].lstrip()
        if not rest:
            return head
        return f"{head}{rest}" if rest[0] in ",;:" else f"{head} {rest}"
    return f"{head} ({text})"


def plural(count: int, noun: str) -> str:
    """`1 scene`, `2 scenes`, `1,200 scenes`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def scene_ref(scene_id: int, title: object = None) -> str:
    """A scene as users find it in Stash: its id and, when it has one, its title (quoted,
    cut to `TITLE_LIMIT` characters): `41 "Beach day"`."""
    text = " ".join(str(title).split()) if isinstance(title, str) else ""
    if not text:
        return str(scene_id)
    if len(text) > TITLE_LIMIT:
        text = text[: TITLE_LIMIT - 1].rstrip() + "…"
    return f'{scene_id} "{text}"'


def scene_refs(refs: Iterable[str], limit: int = INFO_LIMIT) -> str:
    """Comma-separated scene references, as many as fit in `limit` characters."""
    shown = ""
    for ref in refs:
        candidate = f"{shown}, {ref}" if shown else ref
        if len(candidate) > limit:
            break
        shown = candidate
    return shown


def group_line(
    count: int,
    what: str,
    reasons: Sequence[tuple[str, int, Sequence[str]]],
    *,
    examples: int = EXAMPLES,
    limit: int = INFO_LIMIT,
) -> str:
    """One line for `count` scenes that share a fate (`what`: "not pushed", "failed"), by
    reason, each with a few of its scenes: `12 scenes not pushed: not organized (9, e.g. 41
    "Title", 57); no meaningful metadata (3, e.g. 63)`. `reasons` are (phrase, count,
    example refs) in the order to show. Examples are handed out one per reason in turn, as
    many as `examples` and the line's `limit` allow; the reasons and counts always stay."""
    head = f"{plural(count, 'scene')} {what}: "
    shown: list[list[str]] = [[] for _ in reasons]
    pools = [list(refs) for _, _, refs in reasons]

    def render(picks: list[list[str]]) -> str:
        parts = []
        for (phrase, n, _), refs in zip(reasons, picks, strict=True):
            named = f", e.g. {', '.join(refs)}" if refs else ""
            parts.append(f"{phrase} ({n:,}{named})")
        return head + "; ".join(parts)

    given = 0
    progress = True
    while given < examples and progress:
        progress = False
        for index, pool in enumerate(pools):
            if not pool or given >= examples:
                continue
            shown[index].append(pool[0])
            if len(render(shown)) > limit:
                shown[index].pop()
                pool.clear()  # this reason's examples no longer fit
                continue
            pool.pop(0)
            given += 1
            progress = True
    return line(render(shown), limit)


def wrap(lead_words: str, items: Sequence[str], limit: int = INFO_LIMIT) -> list[str]:
    """`lead_words` and comma-separated `items` as lines of at most `limit` characters,
    never cutting an item (one too long alone is cut by `line`): a list (the settings) that
    does not fit one line continues on the next, each line led by `lead_words`."""
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}, {item}" if current else f"{lead_words}{item}"
        if current and len(candidate) > limit:
            lines.append(current)
            candidate = f"{lead_words}{item}"
        current = candidate
    if current:
        lines.append(current)
    return [line(text, limit) for text in lines]


def fix_line(phrase: str, fix: str, limit: int = INFO_LIMIT) -> str:
    """One reason's fix: `Not organized: mark them Organized in Stash, or …`."""
    text = f"{phrase[:1].upper()}{phrase[1:]}: {fix}"
    return line(text if text.endswith(".") else text + ".", limit)
