"""Health Check's advice per failure, in the users' words: a wrong address, files outside
every library, a rejected token; and every line it prints within the house rules.

Each scenario runs the real task against the sandbox emulators (or a throwaway web server on
127.0.0.1 that is not Plex); the words asserted are the advice a user reads.
"""

from __future__ import annotations

import builtins
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from base.errors import PlexAuthError, Stash2PlexError
from runtime.circuit import Circuit
from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from sandbox.httpd import Fault
from tests.doctor.conftest import (
    PLEX_TOKEN,
    DoctorWorld,
    check_of,
    make_world,
    statuses_of,
)
from tests.doctor.test_health_check import SETTINGS_PLACE, assert_clean

NOT_PLEX_FIX = (
    f"check the host and port in {SETTINGS_PLACE} → Plex URL (as seen from the Stash host; "
    "Plex listens on port 32400 unless changed)"
)
OUTSIDE_MEANING = "outside every Plex library: Stash's path is in no library's folder"
PATH_MAP_PLACE = f"{SETTINGS_PLACE} → Path map (Stash=>Plex)"
TOKEN_LINE = f"Plex answered 401: token rejected (the token in {SETTINGS_PLACE} → Plex token)"
TOKEN_FIX = f"copy a current X-Plex-Token into {SETTINGS_PLACE} → Plex token"


def class_names() -> set[str]:
    """Every exception class name a Health Check line could leak, and the worker's words."""
    import plexapi.exceptions

    import plex.errors  # noqa: F401  (its leaves join the project's tree)
    import stash.errors  # noqa: F401

    names = {n for n, v in vars(builtins).items() if isinstance(v, type) and n[0].isupper()}
    names.update(n for n, v in vars(requests.exceptions).items() if isinstance(v, type))
    names.update(n for n, v in vars(plexapi.exceptions).items() if isinstance(v, type))
    pending: list[type] = [Stash2PlexError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    names.add("NotScannedYet")
    return {n for n in names if len(n) > 4}


CLASS_NAMES = class_names()


def leaked_names(text: str) -> set[str]:
    return {n for n in CLASS_NAMES if re.search(rf"\b{n}\b", text)}


DEBUG = "[debug] "  # debug lines go out at Stash's info level with this prefix


def printed(run: PluginRun) -> list[str]:
    """Every line the run logged at info or above (not debug), plus the task's JSON lines."""
    lines = [
        m
        for level in ("info", "warning", "error")
        for m in run.messages(level)
        if not m.startswith(DEBUG)
    ]
    for check in run.output["checks"]:
        lines.extend(str(check.get(key, "")) for key in ("line", "fix"))
    return [*lines, run.output["verdict"]]


def assert_house_rules(run: PluginRun) -> None:
    assert_clean(run)
    for text in printed(run):
        assert not leaked_names(text), (leaked_names(text), text)
    for text in run.messages("info"):
        assert len(text) <= 300, (len(text), text)
        assert "\n" not in text


class _NotPlex(http.server.SimpleHTTPRequestHandler):
    """A plain web server: a directory listing on `/`, 404 elsewhere (`/identity`)."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: _NotPlex(*a, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_404_on_root_means_no_plex_server_at_this_address(world: DoctorWorld) -> None:
    # The Stash emulator is a real HTTP server that is not Plex: it answers 404 on `/`.
    assert requests.get(world.stash.url + "/", timeout=5).status_code == 404
    world.configure(plex_url=world.stash.url, path_map=world.generated.truth.path_map)
    run = world.run()
    assert_house_rules(run)
    check = check_of(run, "plex")
    assert check["status"] == "fail"
    assert check["line"] == (
        f"Not a Plex server at this address and port: {world.stash.url} answered 404 (not "
        "found) on /, where Plex always answers"
    )
    assert f"[FAIL] {check['line']} → Fix: {NOT_PLEX_FIX}" in run.messages("error")
    assert check["fix"] == NOT_PLEX_FIX
    assert run.output["verdict"] == f"Verdict: not ready. First fix: {NOT_PLEX_FIX}"
    assert all("retry later" not in text for text in printed(run))
    assert "plex_permission" not in statuses_of(run)  # stopped at the first blocking failure
    assert sum(world.plex_requests.values()) == 0  # the real Plex was never asked


def test_a_web_server_that_is_not_plex_gets_the_same_advice(
    world: DoctorWorld, web_server: str
) -> None:
    assert requests.get(web_server + "/", timeout=5).status_code == 200  # HTML, not Plex XML
    assert requests.get(web_server + "/identity", timeout=5).status_code == 404
    world.configure(plex_url=web_server, path_map=world.generated.truth.path_map)
    run = world.run()
    assert_house_rules(run)
    check = check_of(run, "plex")
    assert check["status"] == "fail"
    assert check["line"] == (
        f"Not a Plex server at this address and port: {web_server} answered with a page that "
        "is not Plex's on /, where Plex always answers"
    )
    assert check["fix"] == NOT_PLEX_FIX
    assert all("retry later" not in text for text in printed(run))


def test_a_starting_plex_is_not_called_a_wrong_address(world: DoctorWorld) -> None:
    # A starting PMS answers 503 everywhere: that is worth waiting for, not a wrong address.
    world.configure(path_map=world.generated.truth.path_map)
    world.plex.knobs.add_fault(Fault("status", status=503, count=None))
    run = world.run()
    assert_house_rules(run)
    check = check_of(run, "plex")
    assert check["status"] == "fail"
    assert check["line"] == f"Plex at {world.plex.url} answered 503 on /: it may still be starting"
    assert check["fix"] == (
        "wait until Plex has started (Plex Web opens), then run Health Check again"
    )
    assert "Not a Plex server" not in check["line"]


@pytest.fixture
def outside_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DoctorWorld]:
    """Most of Stash's files lie in a folder no Plex library covers."""
    options = GeneratorOptions(scenes=600, seed=11, frac_outside_sections=0.6)
    yield from make_world(request, tmp_path, options)


def test_files_outside_every_library_are_explained_as_such(outside_world: DoctorWorld) -> None:
    outside_world.configure(path_map=outside_world.generated.truth.path_map)
    run = outside_world.run()
    assert_house_rules(run)
    check = check_of(run, "outside")
    assert check["status"] == "warn"
    count = run.output["matching"]["counts"]["outside_sections"]
    assert count > run.output["matching"]["counts"]["matched"]
    with_files = run.output["sample"]["sampled"] - run.output["matching"]["counts"]["no_files"]
    assert check["line"].startswith(
        f"{count} of {with_files} sampled scenes are outside every Plex library: Stash's path "
        "(path_map applied) is in no library's folder; e.g. scene "
    )
    assert check["fix"] == (
        f"add their folder to a Plex library, or set {PATH_MAP_PLACE} so Stash's paths become "
        "Plex's"
    )
    # An example by its Stash path: the folder no library covers.
    assert "; e.g. scene " in check["line"]
    assert "'/data/videos/Unsorted/" in check["line"].split("; e.g. ", 1)[1]
    assert check_of(run, "matching")["status"] == "ok"  # not a generic matching failure
    assert all("no sampled scene matches" not in text for text in printed(run))
    assert "path_map" not in statuses_of(run)  # nothing a path_map could fix
    rendered = f"[WARN] {check['line']} → Fix: {check['fix']}"
    assert rendered in run.messages("warning")


def test_without_path_map_the_outside_files_point_to_the_suggestion(world: DoctorWorld) -> None:
    run = world.run()
    assert_house_rules(run)
    check = check_of(run, "outside")
    assert check["status"] == "warn"
    assert OUTSIDE_MEANING in check["line"]
    assert check["fix"] == (
        f"set {PATH_MAP_PLACE} as suggested below, or add their folder to a Plex library"
    )
    # The suggestion itself is unchanged: its exact value, and it is the verdict's fix.
    value = check_of(run, "path_map")["details"]["path_map"]
    assert run.output["verdict"] == (
        f"Verdict: not ready. First fix: set {PATH_MAP_PLACE} to exactly: {value}"
    )


def test_a_rejected_token_is_said_once(world: DoctorWorld) -> None:
    """The plex_token line, the circuit a worker opened on the same 401, and the verdict."""
    from plex.client import PlexClient
    from plex.env import prepare_plexapi_env

    world.configure(plex_token="revoked-token-1234", path_map=world.generated.truth.path_map)
    world.data_dir.mkdir(parents=True, exist_ok=True)
    prepare_plexapi_env(world.data_dir)
    # What the worker stores when Plex refuses its token: the class and the adapter's words.
    client = PlexClient(world.plex.url, "revoked-token-1234", data_dir=world.data_dir)
    with client, pytest.raises(PlexAuthError) as refused:
        client.all_sections()
    Circuit(world.data_dir).open(type(refused.value).__name__, str(refused.value))

    run = world.run()
    assert_house_rules(run)
    token = check_of(run, "plex_token")
    assert token["status"] == "fail"
    assert token["line"] == TOKEN_LINE
    assert token["fix"] == TOKEN_FIX
    assert run.output["verdict"] == f"Verdict: not ready. First fix: {TOKEN_FIX}"
    circuit = check_of(run, "circuit")["line"]
    assert circuit.endswith(
        "Plex answered 401 on GET /library/sections: token rejected; check the Plex token "
        "setting (plex_token); the queue waits"
    )
    for text in printed(run):
        assert text.count("token rejected") <= 1, text
        assert "Plex token rejected (Plex token rejected" not in text
        assert "revoked-token-1234" not in text and PLEX_TOKEN not in text


@pytest.fixture
def troubled_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DoctorWorld]:
    """Long folder names, and every kind of miss the matcher knows, all at once."""
    deep = "/very-long-folder-name-for-a-collection-of-videos" * 3
    options = GeneratorOptions(
        scenes=800,
        seed=17,
        stash_root="/data/stash-library" + deep,
        plex_root="/media/plex-library" + deep,
        frac_outside_sections=0.1,
        frac_not_scanned=0.3,
        frac_ambiguous=0.05,
        frac_no_files=0.05,
    )
    yield from make_world(request, tmp_path, options)


def test_every_line_of_a_troubled_run_keeps_the_house_rules(troubled_world: DoctorWorld) -> None:
    world = troubled_world
    # Files outside, not scanned, ambiguous and without files; an invalid setting, paused,
    # and an open circuit stored with class names, as the worker stores it.
    path_map = world.generated.truth.path_map
    world.configure(path_map=path_map, paused=True, reconcile_interval="often", debug_logging=True)
    world.data_dir.mkdir(parents=True, exist_ok=True)
    Circuit(world.data_dir).open(
        "PlexServerDown", "cannot reach Plex (ConnectionError on GET /library/metadata/{keys})"
    )
    run = world.run()
    assert_house_rules(run)
    statuses = statuses_of(run)
    assert statuses["settings"] == "warn" and statuses["circuit"] == "warn"
    for reason in ("outside", "not_scanned", "ambiguous"):
        assert statuses[reason] == "warn", check_of(run, reason)
        assert check_of(run, reason)["details"]["examples"]
    assert run.output["matching"]["counts"]["no_files"] > 0
    assert check_of(run, "circuit")["line"].endswith(
        "cannot reach Plex (connection failed on GET /library/metadata/{keys}); the queue waits"
    )

    # Without path_map: the long suggestion is printed whole, in its line's fix and the verdict.
    world.configure(paused=True, reconcile_interval="often", debug_logging=True)
    run = world.run()
    assert_house_rules(run)
    value = check_of(run, "path_map")["details"]["path_map"]
    assert value == path_map and len(value) > 250
    assert any(m.endswith(f"to exactly: {value}") for m in run.messages("error"))
    assert run.output["verdict"].endswith(f"to exactly: {value}")


@pytest.fixture
def ambiguous_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DoctorWorld]:
    options = GeneratorOptions(
        scenes=600,
        seed=21,
        frac_outside_sections=0.0,
        frac_not_scanned=0.0,
        frac_ambiguous=0.1,
        frac_no_files=0.0,
    )
    yield from make_world(request, tmp_path, options)


def test_plex_item_keys_only_at_debug(ambiguous_world: DoctorWorld) -> None:
    world = ambiguous_world
    world.configure(path_map=world.generated.truth.path_map, debug_logging=True)
    run = world.run()
    assert_house_rules(run)
    keys = {f"{item.section_id}/{item.rating_key}" for item in world.generated.plex.items.values()}

    def with_keys(text: str) -> set[str]:
        return {k for k in re.findall(r"(?<![\w/])\d+/\d+(?![\w/])", text) if k in keys}

    check = check_of(run, "ambiguous")
    assert "; e.g. scene " in check["line"]  # examples are shown, in words
    for text in printed(run):
        assert not with_keys(text), text
    debug = [m for m in run.messages("info") if m.startswith(DEBUG)]
    assert any(with_keys(m) for m in debug)  # kept for whoever debugs
