"""What the secrets tour needs besides its tests: credential-echoing fault bodies, the hook
calls of every manifest trigger, the catalogue of failure paths, Stash's side of the output,
and an exception-raising entry script.

Run as a script (`PluginHarness(entry=...)`), this module is Stash2Plex.py with one seam:
with `S2P_TOUR_RAISE` set, the Plex step (or its factory, `S2P_TOUR_WHERE=factory`) raises a
RuntimeError carrying that text, as a library failing deep inside would: the plugin's
unexpected-exception paths (batch failure, internal error with traceback) then handle it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.httpd import Fault
from sandbox.secrets import distinctive

World = Any  # tests.reliability.world.ChaosWorld (not imported: the driver stays light)
SCREENSHOT = r"^/scene/\d+/screenshot"

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve()
RAISE_ENV = "S2P_TOUR_RAISE"
WHERE_ENV = "S2P_TOUR_WHERE"
MISSING_ID = 987654  # an id no generated entity has: destroy and merge hooks touch nothing


def plex_echo(world: Any, path: str = "/library/sections") -> bytes:
    """An error page repeating the request with its token, as a proxy or a debug build might."""
    token = world.plex.token
    return (
        f"<html><body><h1>Error</h1><p>GET {world.plex.url}{path}?X-Plex-Token={token}</p>"
        f"<pre>X-Plex-Token: {token}\nurl={world.plex.url}{path}?X-Plex-Token={token}</pre>"
        "</body></html>"
    ).encode()


def stash_echo(world: Any) -> str:
    """Request details naming Stash's credentials (the cookie the plugin sends, an `apikey`
    query and header a proxy in front of Stash might add), as an error page might quote."""
    key, cookie = world.stash.api_key, world.harness.session_cookie
    return (
        f"GET {world.stash.url}/scene/1/screenshot?t=1&apikey={key} "
        f"ApiKey: {key}; Cookie: session={cookie}"
    )


def graphql_error_body(world: Any) -> bytes:
    """A 200 GraphQL answer whose error message quotes the request's credentials."""
    message = f"input: resolver failed for {stash_echo(world)}"
    return json.dumps(
        {"errors": [{"message": message, "path": ["findScenes"]}], "data": None}
    ).encode()


def hook_calls(world: Any) -> list[tuple[str, int, object, list[str] | None]]:
    """(trigger, id, input, inputFields) for every trigger of the manifest's hooks."""
    lib = world.generated.stash
    scene = world.matchable()[0]
    bulk = [str(s) for s in world.matchable()[1:4]]
    first = {
        "Performer": min(lib.performers),
        "Studio": min(lib.studios),
        "Tag": min(lib.tags),
        "Group": min(lib.groups),
    }
    calls: list[tuple[str, int, object, list[str] | None]] = []
    for trigger in sorted({t for h in world.harness.manifest().hooks for t in h.triggered_by}):
        kind, _, event = trigger.partition(".")
        event = event.split(".")[0]
        if kind == "Scene" and event == "Update":
            calls.append((trigger, scene, {"id": str(scene), "title": "x"}, ["id", "title"]))
            calls.append((trigger, int(bulk[0]), {"ids": bulk, "rating100": 80}, ["ids"]))
        elif kind == "Scene" and event == "Create":
            calls.append((trigger, scene, {"title": "new"}, ["title"]))
        elif event == "Update":
            ref = first[kind]
            calls.append((trigger, ref, {"id": str(ref), "name": f"Renamed {ref}"}, ["id", "name"]))
        elif event == "Merge":
            merge = {"source": [str(MISSING_ID + 1)], "destination": str(MISSING_ID)}
            calls.append((trigger, MISSING_ID, merge, None))
        else:  # Destroy: of an entity that does not exist, so nothing real is forgotten
            calls.append((trigger, MISSING_ID, {"id": str(MISSING_ID)}, None))
    return calls


def stash_side_texts(world: Any) -> list[str]:
    """What Stash received and keeps: job errors, plugin errors, descriptions, hook log."""
    texts: list[str] = []
    for job in world.stash.jobs:
        texts += [job.description, job.error or "", job.plugin_error or ""]
    texts += [repr(call) for call in world.stash.hook_log]
    return [t for t in texts if t]


# -- the failure paths -------------------------------------------------------------------------


@dataclass
class FailurePath:
    """One way a credential could slip into text. `modes`: task modes or "hook" (a bulk
    Scene.Update.Post recording fresh scenes first, so there is due work to fail on)."""

    name: str
    modes: tuple[str, ...]
    arm: Callable[[World], None]
    disarm: Callable[[World], None]
    proof: str  # text one of the runs' error or log must contain: the path was taken
    fast: int = 2  # leading modes `make test` runs (0: the path runs only in `make chaos`)
    raise_where: str | None = None  # run through the raising driver (step | factory)


def _fault(server: str, fault_of: Callable[[World], Fault]) -> Callable[[World], None]:
    def arm(world: World) -> None:
        getattr(world, server).knobs.add_fault(fault_of(world))

    return arm


def clear_faults(world: World) -> None:
    world.plex.knobs.clear_faults()
    world.stash.knobs.clear_faults()


def _set_cookie(value: Callable[[World], str]) -> Callable[[World], None]:
    def arm(world: World) -> None:
        world.harness.session_cookie = value(world)

    return arm


def _stale_cookie(world: World) -> str:
    world.good_cookie = world.harness.session_cookie  # type: ignore[attr-defined]
    return distinctive("StaleCookie")


def _plex_status(status: int, **kw: object) -> Callable[[World], None]:
    return _fault("plex", lambda w: Fault("status", status=status, body=plex_echo(w), **kw))


def _timeout(world: World) -> None:
    world.sandbox.configure_plugin(read_timeout=1)
    world.plex.knobs.add_fault(Fault("hang", hang_s=2.5, count=None))


def _plex_url_password(world: World) -> None:
    password = distinctive("PlexUrlPassword")
    world.sandbox.configure_plugin(plex_url=world.plex.url.replace("://", f"://admin:{password}@"))


def _untimeout(world: World) -> None:
    world.sandbox.configure_plugin(read_timeout=30)
    clear_faults(world)


PATHS = (
    FailurePath(
        "Plex 401 quoting the token",
        ("hook", "process_queue", "health_check", "status", "reconcile_all"),
        _plex_status(401, count=None),
        clear_faults,
        "token rejected",
    ),
    FailurePath(
        "Plex 403 quoting the token",
        ("hook", "process_queue", "health_check"),
        _plex_status(403, count=None),
        clear_faults,
        "403",
        fast=0,
    ),
    FailurePath(
        "Plex 500 on connect quoting the token",
        ("hook", "process_queue", "preview_gaps"),
        _plex_status(500, path_regex="^/$", count=None),
        clear_faults,
        "500",
        fast=0,
    ),
    FailurePath(
        "Plex unusual status 520 quoting the token",
        ("hook", "process_queue"),
        _plex_status(520, count=None),
        clear_faults,
        "to be retried: Plex answered with an error",  # the 520 itself: in the queue, debug
        fast=0,
    ),
    FailurePath(
        "Plex connection refused",
        ("reconcile_all", "hook", "process_queue", "health_check"),
        lambda w: w.plex.server.go_down(),
        lambda w: w.plex.server.come_up(),
        "cannot reach Plex",
        fast=1,
    ),
    FailurePath(
        "Plex connection reset",
        ("hook", "process_queue", "unlock_fields"),
        _fault("plex", lambda w: Fault("reset", count=None)),
        clear_faults,
        "Plex",
        fast=0,
    ),
    FailurePath(
        "Plex hanging past the read timeout",
        ("hook", "process_queue"),
        _timeout,
        _untimeout,
        "did not answer in time",
        fast=0,
    ),
    FailurePath(
        "Stash GraphQL error quoting ApiKey and cookie (settings read)",
        ("process_queue", "status"),
        _fault("stash", lambda w: Fault("status", status=200, body=graphql_error_body(w))),
        clear_faults,
        "Stash query failed",
        fast=1,
    ),
    FailurePath(
        "Stash GraphQL errors quoting ApiKey and cookie (after the settings)",
        ("hook", "process_queue", "sync_recent", "reconcile_recent", "health_check"),
        _fault(
            "stash",
            lambda w: Fault("status", status=200, body=graphql_error_body(w), skip=1, count=None),
        ),
        clear_faults,
        "resolver failed",
        fast=0,
    ),
    FailurePath(
        "Stash 500 page quoting ApiKey and cookie",
        ("hook", "process_queue", "sync_all"),
        _fault(
            "stash",
            lambda w: Fault("status", status=500, body=stash_echo(w).encode(), count=None),
        ),
        clear_faults,
        "HTTP 500",
        fast=0,
    ),
    FailurePath(
        "Stash refusing the session cookie",
        ("status", "hook", "process_queue", "health_check"),
        _set_cookie(_stale_cookie),
        _set_cookie(lambda w: w.good_cookie),  # type: ignore[attr-defined]
        "refused the credentials",
        fast=1,
    ),
    FailurePath(
        "Stash down",
        ("status", "hook", "process_queue"),
        lambda w: w.stash.server.go_down(),
        lambda w: w.stash.server.come_up(),
        "Stash unreachable",
        fast=1,
    ),
    FailurePath(
        "plex_url carrying a password (refused, redacted)",
        ("status", "health_check", "process_queue"),
        _plex_url_password,
        lambda w: w.sandbox.configure_plugin(plex_url=w.plex.url),
        "must not contain a user name or password",
        fast=1,
    ),
    FailurePath(
        "Unexpected exception in the Plex step quoting every credential",
        ("hook", "process_queue", "status"),
        lambda w: None,
        lambda w: None,
        "Processing a batch of",
        raise_where="step",
    ),
    FailurePath(
        "Unexpected exception building the Plex step (internal error, traceback)",
        ("hook", "process_queue"),
        lambda w: None,
        lambda w: None,
        "Internal error: RuntimeError",
        raise_where="factory",
    ),
)
# Per-scene faults, all in one Process Queue run over fresh scenes, in request order.
SCENE_FAULTS: tuple[tuple[str, str, Callable[[World], Fault]], ...] = (
    (
        "Plex PUT 500 quoting the token",
        "plex",
        lambda w: Fault("status", 500, plex_echo(w), method="PUT"),
    ),
    (
        "Plex PUT 400 quoting the token",
        "plex",
        # Twice: the edit, then its first field resent alone (issue 15's field-by-field
        # retry), so the scene fails on that field and the failed list quotes the answer.
        lambda w: Fault("status", 400, plex_echo(w), method="PUT", count=2),
    ),
    (
        "Plex poster upload 500",
        "plex",
        lambda w: Fault("status", 500, plex_echo(w), path_regex=r"/posters$"),
    ),
    (
        "cover 500 quoting ApiKey",
        "stash",
        lambda w: Fault("status", 500, stash_echo(w).encode(), path_regex=SCREENSHOT),
    ),
    (
        "cover 404",
        "stash",
        lambda w: Fault("status", 404, stash_echo(w).encode(), path_regex=SCREENSHOT),
    ),
    ("cover connection reset", "stash", lambda w: Fault("reset", path_regex=SCREENSHOT)),
    (
        "cover as a login page quoting ApiKey",
        "stash",
        lambda w: Fault("body", body=stash_echo(w).encode(), path_regex=SCREENSHOT),
    ),
    (
        "cover 401",
        "stash",
        lambda w: Fault("status", 401, stash_echo(w).encode(), path_regex=SCREENSHOT),
    ),
)


# -- the driver ---------------------------------------------------------------------------------


def _raising_services() -> Any:
    from worker.services import WorkerServices, default_plex_step

    text = os.environ[RAISE_ENV]

    class _Raising:
        def __init__(self, step: Any) -> None:
            self._step = step

        def process(self, scenes: Any, ctx: Any) -> Any:
            raise RuntimeError(text)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._step, name)

    def factory(ctx: Any) -> Any:
        if os.environ.get(WHERE_ENV) == "factory":
            raise RuntimeError(text)
        return _Raising(default_plex_step(ctx))

    return WorkerServices(step_factory=factory)


def main() -> int:
    sys.path.insert(0, str(REPO))
    raw = sys.stdin.buffer.read()
    services = None
    if b'"hookContext"' not in raw and os.environ.get(RAISE_ENV):
        services = _raising_services()
    from plugin.app import run

    return run(
        raw,
        plugin_dir=REPO,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
        ensure_deps=lambda ctx: None,
        services=services,
    )


if __name__ == "__main__":
    sys.exit(main())
