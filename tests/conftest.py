"""Fixtures shared by the whole suite: the `../shared/` folder and the sandbox servers.

Tests that read `../shared/` use `shared_dir`, which skips with one line when it is absent.
The leak guard at the end applies to every test of the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.secrets import leaked, take_outputs

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared/` beside the clone; skipped (one line) in a clone outside the workplace."""
    if not (SHARED_DIR / "SPEC.md").is_file():
        pytest.skip("../shared/ is absent (clone outside the workplace)")
    return SHARED_DIR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """The whole suite's leak guard: no registered secret (Plex token, Stash session cookie,
    API key, password: see sandbox/secrets.py) in what pytest captured for this test phase or
    in any plugin run's stdout/stderr since the last check, whatever the test asserted."""
    outcome = yield
    report = outcome.get_result()
    texts = [content for _, content in report.sections] + take_outputs()
    leaks = leaked(texts)
    if leaks and not report.failed:
        report.outcome = "failed"
        report.longrepr = f"{'; '.join(leaks)} appeared in captured or plugin output"
