"""Fixtures of the reconciliation tests: a scheduler on a temporary folder and fixed clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciliation.scheduler import ReconciliationScheduler
from tests.reconciliation.helpers import T0, Warnings


@pytest.fixture
def warnings() -> Warnings:
    return Warnings()


@pytest.fixture
def scheduler(tmp_path: Path, warnings: Warnings) -> ReconciliationScheduler:
    return ReconciliationScheduler(tmp_path, warn=warnings, clock=lambda: T0)
