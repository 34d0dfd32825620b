"""The GraphQL exchange shared by the stdlib hook path and the gateway: bodies in, data out.

Standard library only. Owns the response check (status, JSON, `errors`), the job queue and
plugin task documents, and `JobInfo`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from base.errors import StashUnavailable
from stash.errors import StashQueryError, from_status

__all__ = [
    "FIND_JOB_QUERY",
    "JOB_QUEUE_QUERY",
    "RUN_PLUGIN_TASK_MUTATION",
    "JobInfo",
    "ScenePages",
    "encode_request",
    "parse_find_job",
    "parse_job_queue",
    "parse_response",
    "parse_run_plugin_task",
    "plugin_settings_of",
    "plugin_settings_query",
]

JOB_QUEUE_QUERY = "query JobQueue { jobQueue { id status description addTime startTime } }"

# One job, queued or finished (Stash keeps the last 10 finished jobs findable,
# pkg/job/manager.go maxGraveyardSize). No `error` field: v0.24 and v0.25 have none.
FIND_JOB_QUERY = (
    "query FindJob($id: ID!) { findJob(input: {id: $id}) { id status description addTime } }"
)

# Only plugin_id and task_name: Stash v0.24 has neither `description` nor `args_map`.
# `String!` matches v0.24's non-null task_name and is accepted by today's nullable one.
RUN_PLUGIN_TASK_MUTATION = (
    "mutation RunPluginTask($plugin_id: ID!, $task_name: String!) "
    "{ runPluginTask(plugin_id: $plugin_id, task_name: $task_name) }"
)


def plugin_settings_query(plugin_id: str) -> str:
    """The settings query for `plugin_id`, valid on every release.

    `configuration.plugins(include:)` is `[String!]` on Stash v0.24 and `[ID!]` from v0.25
    (reference/stash-schemas/README.md), so no variable type fits both; the id is inlined
    as a string literal, which both accept. JSON's string escapes are a subset of
    GraphQL's, so `json.dumps` quotes any id safely.
    """
    literal = json.dumps(str(plugin_id))
    return f"query PluginSettings {{ configuration {{ plugins(include: [{literal}]) }} }}"


def plugin_settings_of(data: Mapping[str, object], plugin_id: str) -> dict[str, object]:
    """The settings map of `plugin_id` in a `plugin_settings_query` answer (`{}` if none)."""
    configuration = data.get("configuration")
    plugins = configuration.get("plugins") if isinstance(configuration, dict) else None
    values = plugins.get(plugin_id) if isinstance(plugins, dict) else None
    return dict(values) if isinstance(values, dict) else {}


@dataclass(frozen=True)
class JobInfo:
    """One entry of Stash's job queue (`addTime`/`startTime` as Stash's RFC3339 text)."""

    id: str
    status: str  # READY RUNNING FINISHED STOPPING CANCELLED FAILED
    description: str
    add_time: str | None = None
    start_time: str | None = None


def encode_request(query: str, variables: dict[str, object] | None = None) -> bytes:
    payload: dict[str, object] = {"query": query}
    if variables:
        payload["variables"] = variables
    return json.dumps(payload).encode("utf-8")


def _error_messages(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors") or []
    if not isinstance(errors, list):
        return [str(errors)]
    return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]


def parse_response(status: int, body: bytes) -> dict[str, object]:
    """The `data` object of a GraphQL response, or the classified exception.

    Any `errors` entry fails the call: every document we send has a single purpose, so a
    partial answer is not an answer.
    """
    if status in (401, 403) or status >= 500:
        raise from_status(status)
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        raise StashUnavailable(f"Stash sent a non-JSON response (HTTP {status})") from None
    messages = _error_messages(payload)
    data = payload.get("data") if isinstance(payload, dict) else None
    if messages or status != 200:
        raise from_status(status, messages)
    if not isinstance(data, dict):
        raise StashQueryError(status, ["response has no data"])
    return data


def parse_job_queue(data: dict[str, object]) -> list[JobInfo]:
    jobs = data.get("jobQueue") or []
    result: list[JobInfo] = []
    for job in jobs if isinstance(jobs, list) else []:
        if not isinstance(job, dict):
            continue
        result.append(
            JobInfo(
                id=str(job.get("id", "")),
                status=str(job.get("status", "")),
                description=str(job.get("description") or ""),
                add_time=job.get("addTime"),
                start_time=job.get("startTime"),
            )
        )
    return result


def parse_find_job(data: dict[str, object]) -> JobInfo | None:
    """The job `findJob` returned, or None when Stash no longer knows it."""
    job = data.get("findJob")
    if not isinstance(job, dict):
        return None
    return JobInfo(
        id=str(job.get("id", "")),
        status=str(job.get("status", "")),
        description=str(job.get("description") or ""),
        add_time=job.get("addTime"),
    )


def parse_run_plugin_task(data: dict[str, object]) -> str:
    job_id = data.get("runPluginTask")
    if job_id in (None, ""):
        raise StashQueryError(200, ["runPluginTask returned no job id"])
    return str(job_id)


class ScenePages(Protocol):
    """Paged `findScenes` with an explicit fragment: what `stash.client.StashGateway` offers
    and what the Health Check sample and the Plex step's target resolver need from Stash."""

    def find_scenes_page(
        self,
        page: int,
        per_page: int,
        scene_filter: Mapping[str, Any] | None = None,
        sort: str = "id",
        direction: str = "ASC",
        fragment: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]: ...
