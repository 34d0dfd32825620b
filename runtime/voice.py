"""How every line a user reads in Stash's log is worded and cut: one line, at most
`INFO_LIMIT` characters at info level, whatever the text it quotes.

Tasks, the worker and Health Check pass their user-facing lines through here.
"""

from __future__ import annotations

import re

__all__ = ["INFO_LIMIT", "line"]

INFO_LIMIT = 300
_SPACE = re.compile(r"\s+")


def line(text: str, limit: int = INFO_LIMIT) -> str:
    """`text` as one line (line breaks and runs of white space folded) of at most `limit`
    characters, cut with an ellipsis: a quoted server answer or a long value must not turn
    one log line into a page."""
    folded = _SPACE.sub(" ", text).strip()
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"
