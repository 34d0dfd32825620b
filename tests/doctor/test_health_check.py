"""Health Check against the sandbox: each setup mistake gives its one line, fix and verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.circuit import Circuit
from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from tests.doctor.conftest import (
    DoctorWorld,
    check_of,
    make_world,
    remember_secret,
    statuses_of,
)

SETTINGS_PLACE = "Settings → Plugins → Stash2Plex"


def assert_clean(run: PluginRun) -> None:
    """The task itself succeeded, with a report and no stack trace."""
    assert run.exit_code == 0, run.error
    assert run.error is None
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    assert any(m.startswith("Verdict: ") for m in run.messages())


def test_correct_setup_is_ready_within_the_request_budget(world: DoctorWorld) -> None:
    world.configure(path_map=world.generated.truth.path_map)
    run = world.run()
    assert_clean(run)
    assert run.output["ready"] is True, run.output["verdict"]
    statuses = statuses_of(run)
    for name in ("stash", "settings", "plex", "plex_permission", "sections", "index"):
        assert statuses[name] == "ok", check_of(run, name)
    assert "path_map" not in statuses  # nothing to suggest
    counts = run.output["matching"]["counts"]
    sampled = run.output["sample"]["sampled"]
    assert sampled == 500 and run.output["sample"]["stash_requests"] <= 10
    assert counts["matched"] >= 0.85 * sampled
    assert world.plex_beyond_index <= 10
    assert world.plex_requests["GET /library"] == 1  # the owner probe: read-only
    assert not any(method.startswith(("PUT", "POST", "DELETE")) for method in world.plex_requests)
    # Per-section lines: counts and Location paths.
    movies = check_of(run, "section Movies")
    assert movies["details"]["items"] > 0
    assert movies["details"]["locations"] == ["/media/videos/Movies", "/media/videos/Shared"]


def test_prefix_difference_without_path_map_prints_the_path_map(world: DoctorWorld) -> None:
    run = world.run()
    assert_clean(run)
    suggestion = check_of(run, "path_map")
    assert suggestion["status"] == "fail"
    value = suggestion["details"]["path_map"]
    assert value == world.generated.truth.path_map == "/data/videos=>/media/videos"
    assert f"to exactly: {value}" in suggestion["fix"]
    assert run.output["verdict"].startswith("Verdict: not ready. First fix: set ")
    assert value in run.output["verdict"]
    # Applying it makes >= 99 % of the matchable sampled scenes match.
    ids = run.output["sample"]["ids"]
    matchable = world.matchable(ids)
    matched = world.matched_with(value, matchable)
    assert len(matched) >= 0.99 * len(matchable)
    assert len(world.matched_with("", matchable)) < 0.9 * len(matchable)  # basename only
    assert world.plex_beyond_index <= 10


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (GeneratorOptions(scenes=600, seed=5, windows_stash=True), "E:\\Videos=>/media/videos"),
        (
            GeneratorOptions(scenes=600, seed=6, windows_plex=True, plex_root="\\\\NAS\\share"),
            "/data/videos=>\\\\NAS\\share",
        ),
    ],
    ids=["windows-stash-posix-plex", "posix-stash-windows-unc-plex"],
)
def test_windows_and_posix_sides(
    request: pytest.FixtureRequest, tmp_path: Path, options: GeneratorOptions, expected: str
) -> None:
    for world in make_world(request, tmp_path, options):
        run = world.run()
        assert_clean(run)
        value = check_of(run, "path_map")["details"]["path_map"]
        assert value == expected == world.generated.truth.path_map
        matchable = world.matchable(run.output["sample"]["ids"])
        assert len(world.matched_with(value, matchable)) >= 0.99 * len(matchable)


@pytest.fixture
def two_roots(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DoctorWorld]:
    """Stash keeps the Clips folder under a second root: /mnt/clips ↔ /media/videos/Clips."""
    for world in make_world(request, tmp_path, GeneratorOptions(scenes=1000, seed=8)):
        for scene in world.generated.stash.scenes.values():
            for file in scene.files:
                if file.path.startswith("/data/videos/Clips/"):
                    file.path = "/mnt/clips/" + file.path[len("/data/videos/Clips/") :]
        yield world


def test_two_roots_give_two_rules(two_roots: DoctorWorld) -> None:
    run = two_roots.run()
    assert_clean(run)
    value = check_of(run, "path_map")["details"]["path_map"]
    assert set(value.split("; ")) == {
        "/data/videos=>/media/videos",
        "/mnt/clips=>/media/videos/Clips",
    }
    matchable = two_roots.matchable(run.output["sample"]["ids"])
    assert len(two_roots.matched_with(value, matchable)) >= 0.99 * len(matchable)
    assert len(two_roots.matched_with("/data/videos=>/media/videos", matchable)) < len(matchable)


def test_bad_token(world: DoctorWorld) -> None:
    world.configure(plex_token="not-the-right-token-42", path_map=world.generated.truth.path_map)
    run = world.run()
    assert_clean(run)
    check = check_of(run, "plex_token")
    assert check["status"] == "fail"
    assert check["line"] == (
        f"Plex answered 401: token rejected (the token in {SETTINGS_PLACE} → Plex token)"
    )
    assert run.output["ready"] is False
    assert "Plex token" in run.output["verdict"]
    assert "not-the-right-token-42" not in run.stdout + run.stderr
    assert (
        world.plex_requests.get("GET /library/sections", 0) == 0
    )  # stopped at the first blocking failure
    assert any("Plex answered 401" in m for m in run.messages("error"))


def test_non_owner_token(world: DoctorWorld) -> None:
    world.plex.add_read_only_token("shared-user-token-77")
    world.configure(plex_token="shared-user-token-77", path_map=world.generated.truth.path_map)
    run = world.run()
    assert_clean(run)
    assert check_of(run, "plex")["status"] == "ok"  # the token itself is valid
    check = check_of(run, "plex_permission")
    assert check["status"] == "fail"
    assert "403" in check["line"] and "not the server owner's" in check["line"]
    assert "owner's token" in check["fix"]
    assert run.output["ready"] is False and "owner's token" in run.output["verdict"]
    assert not any(method.startswith(("PUT", "POST")) for method in world.plex_requests)


def test_wrong_section_title_suggests_the_closest(world: DoctorWorld) -> None:
    world.configure(plex_library="Movie, Other Videos", path_map=world.generated.truth.path_map)
    run = world.run()
    assert_clean(run)
    check = check_of(run, "sections")
    assert check["status"] == "fail"
    assert "'Movie' not found; did you mean 'Movies'?" in check["line"]
    assert check["fix"] == f"set {SETTINGS_PLACE} → Plex libraries to 'Movies, Other Videos'"
    assert run.output["verdict"].endswith("to 'Movies, Other Videos'")
    # The library that was found is still checked and previewed.
    assert check_of(run, "section Other Videos")["status"] == "ok"
    assert run.output["matching"]["counts"]["matched"] > 0


def test_plex_down(world: DoctorWorld) -> None:
    world.configure(path_map=world.generated.truth.path_map)
    world.plex.server.go_down()
    run = world.run()
    assert_clean(run)
    check = check_of(run, "plex")
    assert check["status"] == "fail"
    assert check["line"].startswith(f"Plex unreachable at {world.plex.url}: cannot reach Plex")
    assert "Plex URL" in check["fix"]
    assert "plex_permission" not in statuses_of(run) and "index" not in statuses_of(run)
    assert run.output["ready"] is False
    assert check_of(run, "stash")["status"] == "ok"  # the rest of the report is still there
    assert check_of(run, "queue")["status"] == "ok"


def test_stash_auth_on(request: pytest.FixtureRequest, world: DoctorWorld) -> None:
    world.configure(path_map=world.generated.truth.path_map)
    world.stash.enable_auth()
    cookie = world.stash.new_session_cookie()
    remember_secret(request, cookie)

    with_session = world.run(cookie=cookie)
    assert_clean(with_session)
    stash = check_of(with_session, "stash")
    assert stash["status"] == "ok"
    assert stash["details"]["auth"] == "required"
    assert "credentials required" in stash["line"]
    assert with_session.output["ready"] is True, with_session.output["verdict"]

    without = world.run(cookie=None)
    assert_clean(without)
    stash = check_of(without, "stash")
    assert stash["status"] == "fail"
    assert "refused the credentials (HTTP 401)" in stash["line"]
    assert "without a session" in stash["line"]
    assert "run Health Check from Stash" in stash["fix"]
    assert without.output["ready"] is False
    assert check_of(without, "settings")["status"] == "fail"


def test_open_circuit_and_reconciliation_are_reported(world: DoctorWorld) -> None:
    world.configure(path_map=world.generated.truth.path_map)
    world.data_dir.mkdir(parents=True, exist_ok=True)
    Circuit(world.data_dir).open("auth", "Plex token rejected (401)")
    run = world.run()
    assert_clean(run)
    circuit = check_of(run, "circuit")
    assert circuit["status"] == "warn" and "Process Queue" in circuit["fix"]
    assert check_of(run, "reconciliation")["line"].startswith("Reconciliation: never run.")
    assert run.output["ready"] is True  # a warning, not a blocker: Plex answers again
    assert run.output["queue"]["circuit"]["open"] is True


def test_missing_settings(world: DoctorWorld) -> None:
    world.configure(plex_token=None)
    run = world.run()
    assert_clean(run)
    check = check_of(run, "settings")
    assert check["status"] == "fail" and "plex_token is not set" in check["line"]
    assert check["fix"] == f"fill in {SETTINGS_PLACE} → Plex token"
    assert check_of(run, "plex")["status"] == "skip"
    assert sum(world.plex_requests.values()) == 0
