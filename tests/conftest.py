"""Fixtures shared by the whole suite: the `../shared/` folder and the sandbox servers.

Tests that read `../shared/` use `shared_dir`, which skips with one line when it is absent.
The leak guard at the end applies to every test of the suite, and so does the GraphQL guard
(tests/graphql_guard.py) when ../shared/ holds the real Stash schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.secrets import Tap, known, leaked, take_outputs
from sandbox.stash_emu.gql import DOCUMENT_OBSERVERS
from sandbox.stash_emu.releases import LATEST
from tests.graphql_guard import GraphQLGuard
from tests.reliability.tally import Tally, append_result

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared/` beside the clone; skipped (one line) in a clone outside the workplace."""
    if not (SHARED_DIR / "SPEC.md").is_file():
        pytest.skip(
            "needs the reference data folder ../shared beside the clone (real Plex responses,"
            " Stash schemas, the spec); it is not part of the repository"
        )
    return SHARED_DIR


_REFERENCE = SHARED_DIR / "reference"
# One per process (each xdist worker has its own); None without the real schemas.
_GRAPHQL = GraphQLGuard(_REFERENCE) if (_REFERENCE / "stash-schemas").is_dir() else None


@pytest.fixture
def graphql_guard(shared_dir: Path) -> GraphQLGuard:
    """The process's GraphQL guard (skipped with `shared_dir` when ../shared/ is absent)."""
    if _GRAPHQL is None:
        pytest.skip("../shared/reference/stash-schemas/ is absent")
    return _GRAPHQL


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """The whole suite's leak guard: no registered secret (Plex token, Stash session cookie,
    API key, password: see sandbox/secrets.py) in what pytest captured for this test phase or
    in any plugin run's stdout/stderr since the last check, whatever the test asserted."""
    outcome = yield
    report = outcome.get_result()
    texts = [content for _, content in report.sections] + take_outputs()
    leaks = leaked(texts)
    _SUITE.tests_checked += report.when == "call"
    _SUITE.leaks += len(leaks)
    if leaks and not report.failed:
        report.outcome = "failed"
        report.longrepr = f"{'; '.join(leaks)} appeared in captured or plugin output"
    # The GraphQL guard: a document valid in the emulator but not on a release it is claimed
    # for (tests/graphql_guard.py) fails the test during which it arrived.
    invalid = _GRAPHQL.take() if _GRAPHQL is not None else []
    if invalid and not report.failed and item.get_closest_marker("stash_surface") is None:
        report.outcome = "failed"
        report.longrepr = "\n".join(dict.fromkeys(invalid))


class _SuiteGuard:
    """What the leak guard saw over the whole session (the `make chaos` secrets row)."""

    def __init__(self) -> None:
        self.tap = Tap(keep_outputs=False)
        self.tests_checked = 0
        self.leaks = 0


_SUITE = _SuiteGuard()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stash_surface: the test sends its own documents for the emulator's latest surface "
        "(stashapi's introspected default fragments, shapes), which the plugin never sends: "
        "the GraphQL guard does not fail it",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    _SUITE.tap.__enter__()
    if _GRAPHQL is not None:
        _GRAPHQL.prepare(LATEST)  # most tests run the latest mode; others build on first use
        DOCUMENT_OBSERVERS.append(_GRAPHQL.observe)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _SUITE.tap.__exit__()
    row = Tally(
        area="secrets",
        scenario=f"Leak guard over all {_SUITE.tests_checked:,} tests run"
        " (captured output, plugin stdout/stderr, data folders)",
        runs=_SUITE.tap.runs,
        faults=len(known()),  # distinctive secrets handed out and looked for
        leaks=_SUITE.leaks,
    )
    append_result(row, passed=_SUITE.leaks == 0 and _SUITE.tests_checked > 0)
