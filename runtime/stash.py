"""The one way a task opens Stash: a `StashGateway` on the invocation's connection, its
secrets registered with the log, counting its requests for the run summary.

Tests inject their own opener through `Context.services.stash_factory`; `open_stash` honours
it, so the worker, reconciliation and every task reach Stash the same way.
"""

from __future__ import annotations

from typing import Any

from runtime.context import Context

__all__ = ["STASH_TIMEOUT_S", "CountingStash", "connect_stash", "open_stash"]

STASH_TIMEOUT_S = 30.0


class CountingStash:
    """A `StashGateway` that counts the HTTP responses it receives after connecting
    (`request_count`, for the run summary); every other attribute is the gateway's."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.request_count = 0
        gateway.interface.s.hooks.setdefault("response", []).append(self._count)

    def _count(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self.request_count += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)


def connect_stash(ctx: Context, *, timeout: float = STASH_TIMEOUT_S) -> CountingStash:
    """The production gateway (stashapi-based; three requests to connect). The connection's
    secrets reach the log's redactor before the first request, so even a failure to connect
    cannot print them. Raises `StashUnavailable` or `StashAuthError` (base.errors)."""
    from stash.client import StashGateway
    from stash.connection import StashEndpoint

    endpoint = StashEndpoint.from_server_connection(ctx.invocation.server_connection)
    for secret in endpoint.secrets():
        ctx.log.add_secret(secret)
    return CountingStash(StashGateway(endpoint, timeout=timeout, logger=ctx.log))


def open_stash(ctx: Context) -> Any:
    """Stash for this invocation: the injected opener when the context carries one, else
    `connect_stash`."""
    factory = getattr(ctx.services, "stash_factory", None)
    return factory(ctx) if callable(factory) else connect_stash(ctx)
