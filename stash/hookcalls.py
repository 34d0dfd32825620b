"""The hook's Stash calls (job queue, one job, start a plugin task) over the standard library.

Hooks must stay stdlib-only and fast, so this is a minimal GraphQL POST over `http.client`
with a short timeout (2 s by default) and the same error classes as the gateway.
Callers must never hold a database write transaction (or any lock a hook needs) while
calling: starting a task can make Stash run hooks synchronously, and a call can block for
the whole timeout.
"""

from __future__ import annotations

import time

from base.errors import StashUnavailable
from stash.connection import StashEndpoint
from stash.errors import translate
from stash.protocol import (
    FIND_JOB_QUERY,
    JOB_QUEUE_QUERY,
    RUN_PLUGIN_TASK_MUTATION,
    JobInfo,
    encode_request,
    parse_find_job,
    parse_job_queue,
    parse_response,
    parse_run_plugin_task,
)

__all__ = ["JobInfo", "find_job", "job_queue", "post_graphql", "run_plugin_task"]

_MAX_BODY = 4 * 1024 * 1024  # a job list or a task id; anything bigger is not Stash


def _connection(endpoint: StashEndpoint, timeout: float) -> http.client.HTTPConnection:  # noqa: F821
    # Imported here: http.client (and ssl) cost tens of milliseconds, and most hooks
    # never talk to Stash.
    import http.client

    host = endpoint.dial_host
    if endpoint.scheme == "https":
        import ssl

        context = ssl.create_default_context()
        if not endpoint.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, endpoint.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(host, endpoint.port, timeout=timeout)


def post_graphql(
    endpoint: StashEndpoint,
    query: str,
    variables: dict[str, object] | None = None,
    timeout: float = 2.0,
) -> dict[str, object]:
    """POST one GraphQL document; return its `data`.

    Raises `StashUnavailable` (refused, timeout, 5xx, non-JSON, GraphQL errors as its
    subclass `StashQueryError`) or `StashAuthError` (401, 403). `timeout` bounds the whole
    exchange, not only each socket operation.
    """
    deadline = time.monotonic() + timeout
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        **endpoint.auth_headers(),
    }
    try:
        conn = _connection(endpoint, timeout)
    except Exception as exc:  # a host Stash reported that no URL can hold (InvalidURL)
        raise translate(exc) from None

    def arm() -> None:
        # The socket timeout applies per operation; re-arming it with what is left of the
        # budget makes `timeout` bound connect + send + every read together.
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("Stash did not answer in time")
        if conn.sock is not None:
            conn.sock.settimeout(remaining)

    try:
        conn.connect()
        arm()
        conn.request("POST", "/graphql", body=encode_request(query, variables), headers=headers)
        arm()
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while True:
            arm()
            chunk = response.read1(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_BODY:
                raise StashUnavailable("Stash sent an oversized response")
            chunks.append(chunk)
        status = response.status
    except Exception as exc:
        raise translate(exc) from None
    finally:
        conn.close()
    return parse_response(status, b"".join(chunks))


def job_queue(endpoint: StashEndpoint, timeout: float = 2.0) -> list[JobInfo]:
    """Stash's job queue (queued and running jobs)."""
    return parse_job_queue(post_graphql(endpoint, JOB_QUEUE_QUERY, timeout=timeout))


def find_job(endpoint: StashEndpoint, job_id: str, timeout: float = 2.0) -> JobInfo | None:
    """One job by id (queued or recently finished); None when Stash no longer knows it."""
    return parse_find_job(post_graphql(endpoint, FIND_JOB_QUERY, {"id": job_id}, timeout=timeout))


def run_plugin_task(
    endpoint: StashEndpoint, plugin_id: str, task_name: str, timeout: float = 2.0
) -> str:
    """Queue plugin task `task_name` of `plugin_id`; return Stash's job id."""
    data = post_graphql(
        endpoint,
        RUN_PLUGIN_TASK_MUTATION,
        {"plugin_id": plugin_id, "task_name": task_name},
        timeout=timeout,
    )
    return parse_run_plugin_task(data)
