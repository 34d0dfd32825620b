"""Open the plugin's SQLite files: busy timeout, WAL-or-rollback journal, schema versions.

Standard library only (hooks import it). Every database of the data folder is opened here so
that locking, journal mode and durability are decided in one place:

- Journal: WAL where the filesystem supports it (readers never block the writer). Where WAL
  cannot be enabled (a network share, a VFS without shared memory) a rollback journal
  (DELETE) instead, remembered by a marker file `<db>-nowal` so later opens do not retry.
  A WAL file that can no longer be opened as WAL (folder moved to such a share) is switched
  back to DELETE once, under exclusive locking (no shared memory needed for that).
- Durability: `synchronous=NORMAL` under WAL (a killed process loses no commit; power loss
  may drop the last commits but never corrupts), `FULL` under a rollback journal.
- Transactions are explicit (`isolation_level=None`); writers use `write_txn`, which starts
  with BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of failing
  with "database is locked" when a read transaction tries to upgrade.
- Schema: `PRAGMA user_version` counts applied migrations; a newer file than the code
  understands is refused (`SchemaTooNew`), never rewritten.
"""

from __future__ import annotations

import os
import sqlite3
import time

TYPE_CHECKING = False  # typing costs ~5 ms per hook process; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import TracebackType

__all__ = [
    "JOURNAL_AUTO",
    "JOURNAL_DELETE",
    "NOWAL_SUFFIX",
    "SchemaTooNew",
    "connect",
    "ensure_schema",
    "integrity_problems",
    "journal_mode",
    "open_database",
    "write_txn",
]

JOURNAL_AUTO = "auto"  # WAL, or a rollback journal where WAL cannot work
JOURNAL_DELETE = "delete"  # always a rollback journal (DELETE)
NOWAL_SUFFIX = "-nowal"


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer Stash2Plex; it is left untouched."""


def connect(
    path: str | os.PathLike[str],
    *,
    busy_timeout: float = 10.0,
    journal: str = JOURNAL_AUTO,
    vfs: str | None = None,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` with the plugin's pragmas.

    `vfs` names an SQLite VFS (e.g. "unix-dotfile" for filesystems without POSIX locks);
    None is the platform default.
    """
    if journal not in (JOURNAL_AUTO, JOURNAL_DELETE):
        raise ValueError(f"journal must be {JOURNAL_AUTO!r} or {JOURNAL_DELETE!r}, not {journal!r}")
    target = os.fspath(path)
    marker = target + NOWAL_SUFFIX
    want_wal = journal == JOURNAL_AUTO and not os.path.exists(marker)
    conn = _open(target, busy_timeout, vfs, check_same_thread)
    try:
        mode = journal_mode(conn)
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            conn.close()
            raise
        # A WAL file whose shared memory cannot be mapped here: convert it, then reopen.
        conn.close()
        _convert_to_delete(target, busy_timeout, vfs, exc)
        _write_marker(marker)
        want_wal = False
        conn = _open(target, busy_timeout, vfs, check_same_thread)
        mode = journal_mode(conn)
    if mode != "wal" and want_wal:
        conn, mode = _try_wal(conn, target, busy_timeout, vfs, check_same_thread)
        if mode != "wal":
            _write_marker(marker)
    elif mode == "wal" and journal == JOURNAL_DELETE:
        try:
            mode = str(conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
        except sqlite3.OperationalError:
            pass  # others have it open; WAL stays, which is just as safe
    conn.execute("PRAGMA synchronous=" + ("NORMAL" if mode == "wal" else "FULL"))
    return conn


def open_database(
    path: str | os.PathLike[str],
    migrations: Sequence[Callable[[sqlite3.Connection], None]],
    *,
    busy_timeout: float = 10.0,
    journal: str = JOURNAL_AUTO,
    vfs: str | None = None,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """`connect` plus `ensure_schema`, retried while another process holds a lock SQLite does
    not wait for.

    The busy timeout covers ordinary writers, but not every moment of another connection's
    first-time set-up: switching a new file to WAL, WAL recovery after a crash, a concurrent
    schema creation can answer "database is locked" at once. For a hook that would lose an
    edit, so the whole open is retried with short backoff until `busy_timeout` has passed.
    """
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(
                path,
                busy_timeout=busy_timeout,
                journal=journal,
                vfs=vfs,
                check_same_thread=check_same_thread,
            )
            ensure_schema(conn, migrations)
            return conn
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def journal_mode(conn: sqlite3.Connection) -> str:
    """The connection's journal mode, lower case ("wal", "delete", ...)."""
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


class write_txn:  # lower case: used like a function, `with write_txn(conn):`
    """BEGIN IMMEDIATE … COMMIT; rolled back on any exception (including a failed COMMIT).

    A class rather than a contextmanager function: importing contextlib costs a hook ~1 ms.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self._conn.execute("COMMIT")
                return
            except BaseException:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


def ensure_schema(
    conn: sqlite3.Connection, migrations: Sequence[Callable[[sqlite3.Connection], None]]
) -> int:
    """Apply `migrations[v:]` where v is the file's user_version; returns the new version.

    `migrations[i]` upgrades version i to i + 1, so version 0 (a new file) runs them all.
    All pending steps run in one write transaction together with the version bump, so a
    crash leaves the old version intact. The fast path (already current) is one read.
    """
    target = len(migrations)
    version = _user_version(conn)
    if version == target:
        return version
    if version > target:
        raise SchemaTooNew(f"database schema version {version} is newer than {target}")
    with write_txn(conn):
        version = _user_version(conn)  # another process may have migrated meanwhile
        if version > target:
            raise SchemaTooNew(f"database schema version {version} is newer than {target}")
        for step in migrations[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version={target:d}")
    return target


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """Messages of `PRAGMA integrity_check` (empty when the file is sound).

    A file too damaged to be checked gives the error as its one message, never raises.
    """
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [f"integrity_check failed: {exc}"]
    return [] if rows == ["ok"] else rows


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _open(
    path: str, busy_timeout: float, vfs: str | None, check_same_thread: bool
) -> sqlite3.Connection:
    if vfs is None:
        return sqlite3.connect(
            path,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=check_same_thread,
        )
    # URI form only when a VFS is named (as_uri percent-escapes, and handles drive letters).
    from pathlib import Path
    from urllib.parse import quote

    uri = Path(os.path.abspath(path)).as_uri() + "?vfs=" + quote(vfs)
    return sqlite3.connect(
        uri,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=check_same_thread,
        uri=True,
    )


def _try_wal(
    conn: sqlite3.Connection, path: str, busy_timeout: float, vfs: str | None, same_thread: bool
) -> tuple[sqlite3.Connection, str]:
    """Switch to WAL; returns the connection to use and the resulting mode."""
    try:
        mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        if mode == "wal":
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # maps shared memory
        return conn, mode
    except sqlite3.OperationalError as exc:
        conn.close()
        if _is_busy(exc):
            raise
        _convert_to_delete(path, busy_timeout, vfs, exc)
        conn = _open(path, busy_timeout, vfs, same_thread)
        return conn, journal_mode(conn)


def _convert_to_delete(
    path: str, busy_timeout: float, vfs: str | None, cause: sqlite3.OperationalError
) -> None:
    """Turn a WAL file into a rollback-journal file without using shared memory.

    In exclusive locking mode SQLite keeps the WAL index in private memory, so this works
    where the -shm file cannot be mapped. Raises the original error when it fails too (e.g.
    the folder is not writable at all).
    """
    conn = _open(path, busy_timeout, vfs, True)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        raise cause from None
    finally:
        conn.close()


def _write_marker(marker: str) -> None:
    try:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write("WAL could not be enabled here; a rollback journal is used.\n")
    except OSError:
        pass  # only an optimisation: the next open tries WAL again


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    # The message is the only portable signal: `sqlite_errorcode` exists from Python 3.11 on.
    text = str(exc).lower()
    return "locked" in text or "busy" in text
