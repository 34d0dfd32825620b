"""Opening the plugin's SQLite files: WAL or the rollback-journal fallback, durability
pragmas, schema versions, and the integrity helper.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync_queue.db import (
    NOWAL_SUFFIX,
    SchemaTooNew,
    connect,
    ensure_schema,
    integrity_problems,
    journal_mode,
    write_txn,
)
from sync_queue.inbox import Inbox

NO_SHARED_MEMORY_VFS = "unix-dotfile"  # like a network share: no shared memory, so no WAL


def synchronous(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA synchronous").fetchone()[0])


def test_wal_with_normal_sync_where_the_filesystem_allows(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    assert (journal_mode(conn), synchronous(conn)) == ("wal", 1)
    conn.close()
    assert not (tmp_path / ("a.db" + NOWAL_SUFFIX)).exists()


def test_falls_back_to_a_rollback_journal_when_wal_cannot_be_enabled(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db", vfs=NO_SHARED_MEMORY_VFS)
    assert (journal_mode(conn), synchronous(conn)) == ("delete", 2)
    with write_txn(conn):
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    assert (tmp_path / ("a.db" + NOWAL_SUFFIX)).exists()
    again = connect(tmp_path / "a.db")  # the marker: no new WAL attempt on later opens
    assert journal_mode(again) == "delete"
    assert again.execute("SELECT x FROM t").fetchall() == [(1,)]
    again.close()


def test_a_wal_file_moved_where_wal_cannot_work_is_converted(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (7)")
    conn.close()
    moved = connect(tmp_path / "a.db", vfs=NO_SHARED_MEMORY_VFS)
    assert journal_mode(moved) == "delete"
    assert moved.execute("SELECT x FROM t").fetchall() == [(7,)]
    moved.close()


def test_the_whole_inbox_works_without_wal(tmp_path: Path) -> None:
    with Inbox(tmp_path, vfs=NO_SHARED_MEMORY_VFS) as inbox:
        assert inbox.record("scene", [1, 2], "hook") == 2
        assert inbox.pending_ids("scene") == {1, 2}
    conn = sqlite3.connect(tmp_path / "inbox.db")
    assert journal_mode(conn) == "delete"
    conn.close()


def test_forced_rollback_journal(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db", journal="delete")
    assert (journal_mode(conn), synchronous(conn)) == ("delete", 2)
    conn.close()
    with pytest.raises(ValueError):
        connect(tmp_path / "b.db", journal="memory")


def test_schema_migrations_run_once_in_order(tmp_path: Path) -> None:
    calls: list[int] = []
    steps = [
        lambda c: (calls.append(1), c.execute("CREATE TABLE a (x)")),
        lambda c: (calls.append(2), c.execute("ALTER TABLE a ADD COLUMN y")),
    ]
    conn = connect(tmp_path / "s.db")
    assert ensure_schema(conn, steps[:1]) == 1
    assert ensure_schema(conn, steps) == 2
    assert ensure_schema(conn, steps) == 2
    assert calls == [1, 2]
    conn.close()


def test_a_failing_migration_leaves_the_old_version(tmp_path: Path) -> None:
    def broken(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE b (x)")
        raise RuntimeError("bug in migration")

    conn = connect(tmp_path / "s.db")
    with pytest.raises(RuntimeError):
        ensure_schema(conn, [broken])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'").fetchone() is None
    conn.close()


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.execute("PRAGMA user_version=5")
    with pytest.raises(SchemaTooNew):
        ensure_schema(conn, [lambda c: None])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()


def test_write_txn_rolls_back_on_error(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.execute("CREATE TABLE t (x)")
    with pytest.raises(KeyError), write_txn(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        raise KeyError("boom")
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    assert not conn.in_transaction
    conn.close()


def test_integrity_problems_reports_damage(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = connect(path, journal="delete")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("CREATE INDEX t_x ON t (x)")
    with write_txn(conn):
        conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i:05d}" * 20,) for i in range(3000)])
    assert integrity_problems(conn) == []
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 7 * page):  # scribble over some pages
        data[offset + 100 : offset + 400] = b"\xa5" * 300
    path.write_bytes(bytes(data))
    damaged = sqlite3.connect(path)
    assert integrity_problems(damaged) != []
    damaged.close()
