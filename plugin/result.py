"""The one JSON object a plugin process writes to stdout: `{"output": ..., "error": ...}`.

Standard library only. Written once, at the end, as ASCII JSON (valid whatever the console
code page), after every string in it went through the redactor. Stash decodes it; anything
else on stdout would turn the whole stdout into `output` (reference/stash.md §2.2).
"""

from __future__ import annotations

import json
from collections.abc import Callable

TYPE_CHECKING = False  # typing costs milliseconds on the hook path; annotations are lazy
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["encode_result", "write_result"]


def _clean(value: object) -> object:
    """Strings with lone surrogates (a path decoded under a non-UTF-8 locale) repaired."""
    if hasattr(value, "__fspath__"):
        value = str(value.__fspath__())
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def encode_result(
    output: object = None,
    error: str | None = None,
    redact: Callable[[object], object] | None = None,
) -> bytes:
    """The result document as bytes; unserialisable output becomes an error result."""
    document = {"output": output, "error": error}
    if redact is not None:
        document = redact(document)  # type: ignore[assignment]
    try:
        text = json.dumps(_clean(document), ensure_ascii=True, allow_nan=False, default=str)
    except (TypeError, ValueError) as exc:
        text = json.dumps(
            {"output": None, "error": f"result could not be encoded ({type(exc).__name__})"}
        )
    return text.encode("ascii") + b"\n"


def write_result(
    stream: BinaryIO,
    output: object = None,
    error: str | None = None,
    redact: Callable[[object], object] | None = None,
) -> None:
    """Write the result document to `stream` (the real stdout) and flush it."""
    stream.write(encode_result(output, error, redact))
    stream.flush()
