"""`StashGateway`: the worker's and tasks' access to Stash (scenes, settings, jobs, images).

Built on stashapi's `StashInterface` for construction, session and the `find_scenes`
contract; every other query goes through `call()`, which sees HTTP status codes and GraphQL
errors directly, so `stash.errors` classifies failures without reading message text.
Works with stashapp-tools 0.2.x and stashapi 0.1.x (same module name, `stashapi`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests

from stash.connection import StashEndpoint
from stash.errors import StashQueryError, translate
from stash.fields import normalise_scene, parse_version, scene_fields_for
from stash.forms import IDS_ARGUMENT, uses
from stash.images import DEFAULT_MAX_IMAGE_BYTES, download_image
from stash.interface import Logger, build_interface
from stash.protocol import (
    JOB_QUEUE_QUERY,
    RUN_PLUGIN_TASK_MUTATION,
    JobInfo,
    encode_request,
    parse_job_queue,
    parse_response,
    parse_run_plugin_task,
    plugin_settings_of,
    plugin_settings_query,
)

__all__ = ["DEFAULT_TIMEOUT", "StashGateway"]

DEFAULT_TIMEOUT = 30.0
_ALIAS_CHUNK = 100  # findScene aliases per request in the missing-id fallback

_PAGE_QUERY = """query FindScenesPage($filter: FindFilterType, $scene_filter: SceneFilterType) {
  findScenes(filter: $filter, scene_filter: $scene_filter) { count scenes { %s } }
}"""
# Stash ignores `filter` when ids are given; per_page -1 keeps a stricter server from
# truncating the list to its default page of 25.
_IDS_QUERY = """query ScenesByIds($ids: [ID!]) {
  findScenes(ids: $ids, filter: {per_page: -1}) { scenes { %s } }
}"""
# Stash v0.24 has only the (later deprecated) `scene_ids: [Int!]` (stash.forms).
_SCENE_IDS_QUERY = """query ScenesByIds($ids: [Int!]) {
  findScenes(scene_ids: $ids, filter: {per_page: -1}) { scenes { %s } }
}"""


def _clean_ids(ids: Iterable[object]) -> list[int]:
    """Positive integer ids, deduplicated, order kept; anything else cannot exist."""
    seen: dict[int, None] = {}
    for raw in ids:
        try:
            value = int(str(raw).strip())
        except ValueError:
            continue
        if value > 0:
            seen.setdefault(value, None)
    return list(seen)


def _messages(response: Any) -> list[str]:
    try:
        payload = response.json()
    except Exception:
        return []
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]


class StashGateway:
    """One Stash server for one task process. Not thread-safe (neither is its session).

    Construction costs stashapi's three requests (version, apiKey, schema introspection);
    it raises `StashUnavailable` or `StashAuthError` when Stash cannot be used.
    """

    def __init__(
        self,
        endpoint: StashEndpoint,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        logger: Logger | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._log: Logger = logger if logger is not None else logging.getLogger(__name__)
        self._last_response: Any = None
        self._iface = self._library(
            build_interface, endpoint, timeout=timeout, logger=self._log, on_response=self._remember
        )
        self._session = self._iface.s
        self._version = parse_version(str(getattr(self._iface, "version", "") or ""))
        self.scene_fields = scene_fields_for(self._version)

    @classmethod
    def from_server_connection(
        cls,
        conn: Mapping[str, object],
        *,
        api_key: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        logger: Logger | None = None,
    ) -> StashGateway:
        endpoint = StashEndpoint.from_server_connection(conn, api_key=api_key)
        return cls(endpoint, timeout=timeout, logger=logger)

    # -- plumbing -------------------------------------------------------------------------

    def _remember(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._last_response = response

    def _translate(self, exc: BaseException) -> BaseException:
        response, self._last_response = self._last_response, None
        if response is None:
            # No answer at all: a transport failure is Stash's; anything else is our bug.
            return translate(exc) if isinstance(exc, OSError) else exc
        messages = _messages(response)
        status = int(response.status_code)
        if status == 200 and not messages and not isinstance(exc, requests.RequestException):
            return exc  # Stash answered fine: this is a bug of ours, not Stash's failure
        return translate(exc, status=status, messages=messages)

    def _library(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._last_response = None
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    def call(self, query: str, variables: dict[str, object] | None = None) -> dict[str, Any]:
        """Run one GraphQL document; return `data` or raise a classified error."""
        try:
            response = self._session.post(
                self.endpoint.graphql_url,
                data=encode_request(query, variables),
                timeout=self.timeout,
            )
            body = response.content
        except Exception as exc:
            raise translate(exc) from None
        return parse_response(response.status_code, body)

    @property
    def interface(self) -> Any:
        """The underlying stashapi `StashInterface` (for what this class does not cover)."""
        return self._iface

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> StashGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries --------------------------------------------------------------------------

    def version(self) -> str:
        """Stash's version as `vMAJOR.MINOR.PATCH` (read at construction, no request)."""
        return "v{}.{}.{}".format(*self._version)

    @property
    def version_info(self) -> tuple[int, int, int]:
        return self._version

    def plugin_settings(self, plugin_id: str = "Stash2Plex") -> dict[str, Any]:
        """The plugin's saved settings; `{}` when never saved (the plugin applies defaults)."""
        return plugin_settings_of(self.call(plugin_settings_query(plugin_id)), plugin_id)

    def find_scenes_page(
        self,
        page: int,
        per_page: int,
        scene_filter: Mapping[str, Any] | None = None,
        sort: str = "id",
        direction: str = "ASC",
        fragment: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page (1-based) of scenes in a stable order: `(total count, scenes)`."""
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1 (per_page -1 would fetch everything)")
        variables: dict[str, object] = {
            "filter": {"page": page, "per_page": per_page, "sort": sort, "direction": direction},
            "scene_filter": copy.deepcopy(dict(scene_filter or {})),
        }
        data = self.call(_PAGE_QUERY % (fragment or self.scene_fields), variables)
        result = data.get("findScenes") or {}
        scenes = [normalise_scene(s) for s in result.get("scenes") or []]
        return int(result.get("count") or 0), scenes

    def iter_scenes(
        self,
        scene_filter: Mapping[str, Any] | None = None,
        per_page: int = 500,
        sort: str = "id",
        direction: str = "ASC",
        fragment: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching scene, page by page (never the whole library decoded at once).

        Offset paging over a stable sort: a scene deleted during the walk can shift one
        scene past us; the next reconciliation sees it. Each id is yielded at most once.
        """
        seen: set[str] = set()
        page = 1
        while True:
            count, scenes = self.find_scenes_page(
                page, per_page, scene_filter, sort, direction, fragment
            )
            for scene in scenes:
                key = str(scene.get("id"))
                if key not in seen:
                    seen.add(key)
                    yield scene
            if len(scenes) < per_page or page * per_page >= count:
                return
            page += 1

    def scenes_by_ids(
        self, ids: Iterable[object], fragment: str | None = None, chunk_size: int = 500
    ) -> dict[int, dict[str, Any]]:
        """Current state of the given scenes, one request per `chunk_size` ids.

        Unknown ids are simply absent from the result. Stash fails the whole `findScenes(ids:)`
        query when one id is missing, so on a query error the chunk is fetched again as
        aliased `findScene` lookups (one request per 100 ids), where a missing id is null.
        """
        fields = fragment or self.scene_fields
        wanted = _clean_ids(ids)
        found: dict[int, dict[str, Any]] = {}
        by_id = uses(self._version, IDS_ARGUMENT)
        query = (_IDS_QUERY if by_id else _SCENE_IDS_QUERY) % fields
        for start in range(0, len(wanted), chunk_size):
            chunk = wanted[start : start + chunk_size]
            try:
                data = self.call(query, {"ids": [str(i) if by_id else i for i in chunk]})
                scenes = (data.get("findScenes") or {}).get("scenes") or []
            except StashQueryError:
                scenes = self._scenes_one_by_one(chunk, fields)
            for scene in scenes:
                found[int(scene["id"])] = normalise_scene(scene)
        return found

    def _scenes_one_by_one(self, ids: list[int], fields: str) -> list[dict[str, Any]]:
        scenes: list[dict[str, Any]] = []
        for start in range(0, len(ids), _ALIAS_CHUNK):
            chunk = ids[start : start + _ALIAS_CHUNK]
            # ids are validated integers, so inlining them cannot inject anything.
            body = " ".join(f's{i}: findScene(id: "{i}") {{ {fields} }}' for i in chunk)
            data = self.call(f"query ScenesOneByOne {{ {body} }}")
            scenes.extend(s for s in data.values() if isinstance(s, dict))
        return scenes

    def find_scenes(
        self,
        f: Mapping[str, Any] | None = None,
        filter: Mapping[str, Any] | None = None,
        q: str = "",
        fragment: str | None = None,
        get_count: bool = False,
    ) -> Any:
        """stashapi's `find_scenes` (the reconciliation engine's contract), made safe.

        Fresh copies of `f` and `filter` (stashapi writes into them); `fragment=None` means
        our explicit scene fields, not stashapi's introspected default.
        """
        result = self._library(
            self._iface.find_scenes,
            f=copy.deepcopy(dict(f or {})),
            filter=copy.deepcopy(dict(filter)) if filter is not None else {"per_page": -1},
            q=q,
            fragment=fragment or self.scene_fields,
            get_count=get_count,
        )
        if get_count:
            count, scenes = result
            return count, [normalise_scene(s) for s in scenes]
        return [normalise_scene(s) for s in result]

    # -- jobs and images ------------------------------------------------------------------

    def job_queue(self) -> list[JobInfo]:
        return parse_job_queue(self.call(JOB_QUEUE_QUERY))

    def run_plugin_task(self, plugin_id: str, task_name: str) -> str:
        """Queue a plugin task (only these two arguments exist on Stash v0.24); job id."""
        data = self.call(RUN_PLUGIN_TASK_MUTATION, {"plugin_id": plugin_id, "task_name": task_name})
        return parse_run_plugin_task(data)

    def fetch_image(self, url: str, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> bytes:
        """Image bytes from a Stash image URL, fetched through our base URL (see
        `stash.images.download_image` for what is refused)."""
        return download_image(
            self._session, self.endpoint, url, max_bytes=max_bytes, timeout=self.timeout
        )
