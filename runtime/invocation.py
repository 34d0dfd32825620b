"""The parsed invocation: what Stash asked this process to do (a task's mode and arguments,
or a hook's event) and how to reach Stash. Standard library only (every hook builds one).
"""

from __future__ import annotations

from base.record import Record

__all__ = ["HookEvent", "Invocation"]


class HookEvent(Record):
    """`args.hookContext` of a hook invocation.

    `id` is the entity id of this hook process (None when Stash omitted it, i.e. 0);
    `input` is the mutation input as sent (object, list or None); `input_fields` the keys the
    client actually sent (empty when Stash omitted them).
    """

    __slots__ = ("id", "input", "input_fields", "trigger")
    _repr_hidden = ("input",)

    def __init__(
        self,
        trigger: str,
        id: int | None,
        input: object = None,
        input_fields: tuple[str, ...] = (),
    ) -> None:
        self.trigger = trigger
        self.id = id
        self.input = input
        self.input_fields = input_fields

    @property
    def entity(self) -> str:
        """`Scene` for `Scene.Update.Post`."""
        return self.trigger.split(".", 1)[0]


class Invocation(Record):
    """One plugin process's input: a task (with `mode`) or a hook (with `hook`).

    `server_connection` is Stash's object as received (it holds the session cookie: never
    log it); `args` are the remaining arguments, every task value normally a string.
    """

    __slots__ = ("args", "hook", "mode", "server_connection")
    _repr_hidden = ("server_connection",)

    def __init__(
        self,
        server_connection: dict[str, object],
        args: dict[str, object],
        mode: str | None = None,
        hook: HookEvent | None = None,
    ) -> None:
        self.server_connection = server_connection
        self.args = args
        self.mode = mode
        self.hook = hook

    @property
    def is_hook(self) -> bool:
        return self.hook is not None

    @property
    def is_task(self) -> bool:
        return self.hook is None

    @property
    def session_cookie(self) -> str | None:
        """The session cookie's value (for the redactor and Stash requests), if any."""
        cookie = self.server_connection.get("SessionCookie")
        value = cookie.get("Value") if isinstance(cookie, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def plugin_dir(self) -> str | None:
        value = self.server_connection.get("PluginDir")
        return value if isinstance(value, str) and value else None
