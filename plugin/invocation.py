"""Parse the JSON object Stash writes to a plugin's stdin into an `Invocation`.

Standard library only (every hook runs it). Every malformed input raises InvocationError
with one clear line that never quotes the input (it carries the session cookie).
Shapes follow reference/stash.md §2.1: `server_connection`, `args`, and for hooks
`args.hookContext = {id, type, input, inputFields}`.
"""

from __future__ import annotations

import json

from base.errors import InvocationError
from runtime.invocation import HookEvent, Invocation

__all__ = ["MAX_ID", "digits", "parse_invocation"]

_HOW_TO_RUN = "Stash2Plex is started by Stash, which writes a JSON object to its stdin"
# The largest id SQLite (the inbox, the queue) can store; Stash ids are far below it.
MAX_ID = 2**63 - 1


def _kind(value: object) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _decode(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvocationError(
            f"stdin is not UTF-8 text (byte {exc.start}); {_HOW_TO_RUN}"
        ) from None
    if not text.strip():
        raise InvocationError(f"stdin is empty; {_HOW_TO_RUN}")
    try:
        return json.loads(text)
    except ValueError as exc:
        where = f"line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else "input"
        raise InvocationError(f"stdin is not JSON (error at {where}); {_HOW_TO_RUN}") from None
    except RecursionError:  # thousands of nested brackets: no Stash writes that
        raise InvocationError(f"stdin is not JSON (nested too deeply); {_HOW_TO_RUN}") from None


def digits(text: str) -> int | None:
    """The number an id string of ASCII digits spells, else None.

    `str.isdigit` also accepts "²" and other Unicode digits that `int` rejects, and `int`
    refuses strings over 4,300 digits: neither may turn a junk id into a crash.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 40:
        return None
    return int(text)


def _parse_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvocationError("hookContext.id must be a number, got a boolean")
    if isinstance(value, float):
        raise InvocationError("hookContext.id must be a whole number, got a decimal number")
    if isinstance(value, str) and not value.strip():
        return None  # the Clean task sends id "" inside input; be as tolerant here
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, int) and not (text.isascii() and text.isdigit()):
        raise InvocationError(f"hookContext.id must be a number, got {_kind(value)}")
    number = value if isinstance(value, int) else digits(text)
    if number is None or number > MAX_ID:  # no Stash id is this big; SQLite could not store it
        raise InvocationError("hookContext.id is out of range")
    return number if number > 0 else None


def _parse_hook(context: object) -> HookEvent:
    if not isinstance(context, dict):
        raise InvocationError(f"args.hookContext must be an object, got {_kind(context)}")
    trigger = context.get("type")
    if not isinstance(trigger, str) or not trigger.strip():
        raise InvocationError("args.hookContext.type must name the trigger, e.g. Scene.Update.Post")
    fields = context.get("inputFields")
    if fields is None:
        fields = []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise InvocationError("args.hookContext.inputFields must be a list of field names")
    return HookEvent(
        trigger=trigger.strip(),
        id=_parse_id(context.get("id")),
        input=context.get("input"),
        input_fields=tuple(fields),
    )


def parse_invocation(raw: bytes) -> Invocation:
    """The invocation in `raw` (stdin bytes). Raises InvocationError for any bad shape."""
    document = _decode(raw)
    if not isinstance(document, dict):
        raise InvocationError(f"stdin must be a JSON object, got {_kind(document)}")
    connection = document.get("server_connection")
    if not isinstance(connection, dict):
        raise InvocationError(
            f"stdin has no server_connection object ({_kind(connection)}); {_HOW_TO_RUN}"
        )
    if "args" not in document:
        raise InvocationError("stdin has no args object")
    args = document["args"]
    if not isinstance(args, dict):
        raise InvocationError(f"args must be an object, got {_kind(args)}")
    args = dict(args)
    if "hookContext" in args:
        hook = _parse_hook(args.pop("hookContext"))
        return Invocation(server_connection=connection, args=args, hook=hook)
    mode = args.get("mode")
    if mode is None or (isinstance(mode, str) and not mode.strip()):
        raise InvocationError("args.mode is missing: each task must set defaultArgs.mode")
    if not isinstance(mode, str):
        raise InvocationError(f"args.mode must be a string, got {_kind(mode)}")
    return Invocation(server_connection=connection, args=args, mode=mode.strip())
