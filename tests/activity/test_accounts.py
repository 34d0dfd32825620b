"""`plex_accounts`: ids and names, the owner by default, `/accounts` asked only for names."""

from __future__ import annotations

from worker.pull import parse_accounts

KNOWN = {"owner": 1, "guest": 7}


def test_empty_means_the_server_owner_without_asking_plex() -> None:
    asked: list[int] = []
    assert parse_accounts("", lambda: asked.append(1) or KNOWN) == ({1}, [])
    assert parse_accounts(" 3, 5 ", lambda: asked.append(1) or KNOWN) == ({3, 5}, [])
    assert asked == []


def test_names_are_looked_up_case_insensitively_and_unknown_ones_reported() -> None:
    assert parse_accounts("Guest, 2", lambda: KNOWN) == ({7, 2}, [])
    assert parse_accounts("nobody", lambda: KNOWN) == (set(), ["nobody"])
