"""The leak guard can fail: a planted secret in stdout, stderr or a data-folder file is found.

Pure and in-process: secrets are planted where a plugin run could leave them (printed,
logged, in a JSON file, inside a SQLite database and its WAL, URL-encoded as a query string
or path carries it) and `Tap`, `leaked` and `note_files` must report each one, while clean
counterparts report nothing. Also holds the regression tests of the product's redactors for
the URL-encoded forms (found by this suite: `quote()` in plex/errors.py, `quote_plus()` in
stash/log.py were missing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from plex.errors import redact as plex_redact
from sandbox.secrets import Tap, distinctive, leaked, note_files, note_output, take_outputs
from stash.log import Redactor
from tests.reliability.tally import Tally, append_result

# Characters URL encoding changes (a Stash password or a hand-made token may hold them), so
# the encoded forms of such a secret differ from the verbatim one.
_ODD = "+/= &?#"
_ENCODINGS: dict[str, Callable[[str], str]] = {
    "quote-all": lambda s: quote(s, safe=""),
    "quote-path": quote,
    "quote-plus": quote_plus,
}


def _odd_secret(label: str) -> str:
    return distinctive(label) + _ODD


def _plant_outputs() -> int:
    """stdout and stderr of a run, each with a token; returns how many were detected."""
    token = distinctive("GuardToken")
    detected = 0
    with Tap() as tap:
        note_output('{"output": {"ok": true}}', b"\x01i\x02all fine\n")
        assert tap.leaks() == [] and tap.runs == 1  # clean output: nothing reported
        note_output(f'{{"output": "X-Plex-Token={token}"}}', b"")
        found = tap.leaks()
        detected += len(found) == 1 and token not in found[0]  # named, never shown
    with Tap() as tap:
        note_output("", f"\x01e\x02cannot reach {token}\n".encode())
        detected += len(tap.leaks()) == 1
    return detected


def _plant_encoded() -> int:
    detected = 0
    for encode in _ENCODINGS.values():
        secret = _odd_secret("GuardPassword")
        planted = f"GET /scene/1/screenshot?apikey={encode(secret)}&t=1"
        assert secret not in planted  # only the encoded form is there
        with Tap() as tap:
            note_output(planted, b"")
            detected += len(tap.leaks()) == 1
    return detected


def _plant_files(folder: Path) -> int:
    folder.mkdir()
    (folder / "last_run.json").write_text('{"stopped": "done"}')
    db = sqlite3.connect(folder / "queue.db")
    db.execute("CREATE TABLE failed (scene_id INTEGER, reason TEXT)")
    db.execute("INSERT INTO failed VALUES (1, 'PlexTransient: 503')")
    db.commit()
    with Tap() as tap:
        note_files(folder)
        assert tap.leaks() == [] and tap.files_scanned == 2  # clean files: nothing reported

    cookie, token, key = distinctive("GuardCookie"), distinctive("GuardToken"), _odd_secret("K")
    (folder / "last_run.json").write_text(f'{{"message": "session={cookie}"}}')
    db.execute("INSERT INTO failed VALUES (2, ?)", (f"GET /?X-Plex-Token={token}",))
    db.commit()  # rollback journal: the row is in queue.db itself
    db.close()
    wal = sqlite3.connect(folder / "index.db")
    try:
        wal.execute("PRAGMA journal_mode=WAL")
        wal.execute("CREATE TABLE t (v TEXT)")
        wal.execute("INSERT INTO t VALUES (?)", (f"apikey={quote_plus(key)}",))
        wal.commit()  # stays in index.db-wal while this connection is open
        with Tap() as tap:
            note_files(folder)
            found = tap.leaks()
    finally:
        wal.close()
    where = sorted(f.rsplit(" in file ", 1)[1] for f in found)
    assert where == ["index.db-wal", "last_run.json", "queue.db"], found
    return len(where)


def test_the_leak_guard_reports_every_planted_secret(tmp_path: Path) -> None:
    """One row of the report: secrets planted (faults) and how many the guard missed
    (leaks column: a miss is a leak the suite could not see). No `tally` fixture: its own
    Tap would rightly count the planted secrets as leaks of this test."""
    row = Tally(area="secrets", scenario="")
    planted = detected = 0
    for plant, count in ((_plant_outputs, 2), (_plant_encoded, len(_ENCODINGS))):
        planted += count
        detected += plant()
    planted += 3
    detected += _plant_files(tmp_path / "data")
    take_outputs()  # the planted outputs must not fail this test in the suite-wide check
    row.scenario = (
        f"Leak guard self-test: {planted} secrets planted in stdout, stderr, JSON, SQLite"
        " (journal and WAL), URL-encoded"
    )
    row.faults = planted
    row.add_leaks([f"planted secret #{n} not reported" for n in range(planted - detected)])
    append_result(row, passed=row.clean)
    assert row.clean, row.summary()


def test_a_file_finding_reaches_the_suite_wide_check(tmp_path: Path) -> None:
    """note_files' findings travel to conftest's per-test check (take_outputs → leaked)."""
    (tmp_path / "state.json").write_text(distinctive("GuardFile"))
    note_files(tmp_path)
    assert any("state.json" in found for found in leaked(take_outputs()))
    (tmp_path / "state.json").write_text("{}")
    note_files(tmp_path)
    assert leaked(take_outputs()) == []


@pytest.mark.parametrize("encoding", sorted(_ENCODINGS))
def test_the_redactors_remove_every_url_encoded_form(encoding: str) -> None:
    """Regression: both redactors claim URL-encoded secrets; each form must go."""
    secret = _odd_secret("RedactMe")
    text = f"GET /library/{_ENCODINGS[encoding](secret)}/x?q={_ENCODINGS[encoding](secret)}"
    assert leaked([text]) != []  # the guard sees the planted form ...
    # ... and neither redactor lets it through (no key=value pattern helps here)
    assert leaked([Redactor([secret]).redact(text)]) == []
    assert leaked([plex_redact(text, (secret,))]) == []
