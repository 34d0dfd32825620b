"""`open_database` retries the opens SQLite answers "locked" without waiting (WAL set-up,
recovery), so a hook never loses an edit to another process's first-time set-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync_queue import db


def _schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE t (x INTEGER)")


def test_busy_opens_are_retried_until_they_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = db.connect
    failures = ["database is locked", "database is busy"]

    def flaky_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        if failures:  # the seam: SQLite's no-wait lock cannot be provoked deterministically
            raise sqlite3.OperationalError(failures.pop(0))
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "connect", flaky_connect)
    conn = db.open_database(tmp_path / "x.db", [_schema], busy_timeout=5)
    try:
        assert failures == []
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        conn.close()


def test_other_errors_and_the_deadline_are_not_retried_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def locked(*args: object, **kwargs: object) -> sqlite3.Connection:
        calls.append(1)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(db, "connect", locked)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.open_database(tmp_path / "x.db", [_schema], busy_timeout=0.05)
    assert 1 < len(calls) < 50

    def broken(*args: object, **kwargs: object) -> sqlite3.Connection:
        calls.append(2)
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(db, "connect", broken)
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        db.open_database(tmp_path / "x.db", [_schema], busy_timeout=5)
    assert calls.count(2) == 1
