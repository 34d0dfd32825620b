"""Setting keys in either spelling (validation.setting_keys): Stash v0.24/v0.25 camelCase them."""

from __future__ import annotations

import pytest

from validation.config import resolve_settings
from validation.setting_keys import camel_case, canonical_keys
from validation.settings_table import SETTINGS


@pytest.mark.parametrize(
    ("snake", "camel"),
    # Go fromSnakeCase (internal/manager/config/map.go at v0.24.3): leading underscores kept,
    # later ones dropped, the next character upper-cased (digits stay as they are).
    [("plex_url", "plexUrl"), ("plex", "plex"), ("_x_y", "_xY"), ("a__b", "aB"), ("t_2x", "t2x")],
)
def test_camel_case_is_stash_from_snake_case(snake: str, camel: str) -> None:
    assert camel_case(snake) == camel


def test_every_setting_is_read_camel_cased_and_snake_case_wins() -> None:
    raw = {camel_case(s.key): f"v-{s.key}" for s in SETTINGS}
    assert canonical_keys(raw) == {s.key: f"v-{s.key}" for s in SETTINGS}
    both = canonical_keys({"plexUrl": "camel", "plex_url": "snake", "unknownKey": 1})
    assert both == {"plex_url": "snake", "unknownKey": 1}


def test_resolve_settings_accepts_stash_v024_keys() -> None:
    warnings: list[str] = []
    resolved = resolve_settings(
        {"plexUrl": "http://127.0.0.1:32400", "plexToken": "tok-123", "maxRetries": 3},
        warnings.append,
    )
    assert resolved.missing == []
    assert resolved.values["plex_url"] == "http://127.0.0.1:32400"
    assert resolved.values["plex_token"] == "tok-123"
    assert resolved.values["max_retries"] == 3
    assert resolved.unknown == [] and warnings == []
