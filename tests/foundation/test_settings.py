"""Settings: defaults, coercion, 0/empty, bad values, legacy aliases, strict model, snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from base.errors import ConfigError
from tests.foundation.conftest import PLEX_TOKEN
from validation.config import Stash2PlexConfig, load_config, redacted_values, resolve_settings
from validation.settings_table import LEGACY_ALIASES, SETTINGS, SETTINGS_BY_KEY, defaults
from validation.snapshot import SNAPSHOT_FILE, read_snapshot, write_snapshot

REQUIRED = {"plex_url": "http://127.0.0.1:32400", "plex_token": PLEX_TOKEN}

# A coercible string form and its value, and an unusable value, for every optional setting.
NUMBER_CASES = {
    "max_retries": ("30", 30, "many"),
    "connect_timeout": ("2.5", 2.5, "soon"),
    "read_timeout": ("90", 90.0, "-4"),
    "plex_write_delay_ms": ("250", 250, "1.5"),
    "worker_time_slice": ("600", 600, "5"),  # below the 10 s minimum
}
STRING_CASES = {
    "plex_library": (" Movies, Clips ", "Movies, Clips", None),
    "path_map": ("/data=>/media", "/data=>/media", "/data=/media"),
    "exclude_tags": ("a, b", "a, b", None),
    "content_rating": ("XXX", "XXX", None),
    "reconcile_interval": ("Daily", "daily", "monthly"),
    "reconcile_scope": ("7DAYS", "7days", "30days"),
}


class Warnings(list):
    def __call__(self, message: str) -> None:
        self.append(message)


def load(**raw: object) -> tuple[Stash2PlexConfig, Warnings]:
    warnings = Warnings()
    return load_config({**REQUIRED, **raw}, warnings), warnings


def test_every_default_applies_when_nothing_is_saved() -> None:
    config, warnings = load()
    assert warnings == []
    for setting in SETTINGS:
        if not setting.required:
            assert getattr(config, setting.key) == setting.default, setting.key


def test_model_fields_are_exactly_the_table() -> None:
    assert list(Stash2PlexConfig.model_fields) == [s.key for s in SETTINGS]
    for setting in SETTINGS:
        field = Stash2PlexConfig.model_fields[setting.key]
        assert field.is_required() == setting.required, setting.key
        if not setting.required:
            assert field.default == setting.default, setting.key


@pytest.mark.parametrize("key", [s.key for s in SETTINGS if s.type == "BOOLEAN"])
@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("FALSE", False), (1, True), (True, True)]
)
def test_booleans_coerce_from_strings_and_numbers(key: str, raw: object, value: bool) -> None:
    config, warnings = load(**{key: raw})
    assert getattr(config, key) is value and warnings == []


@pytest.mark.parametrize("key", [s.key for s in SETTINGS if s.type == "BOOLEAN"])
def test_bad_boolean_falls_back_with_one_warning(key: str) -> None:
    config, warnings = load(**{key: "maybe"})
    assert getattr(config, key) is False
    assert len(warnings) == 1 and key in warnings[0] and "using off" in warnings[0]


@pytest.mark.parametrize("key", list(NUMBER_CASES))
def test_numbers_coerce_from_strings(key: str) -> None:
    text, value, _ = NUMBER_CASES[key]
    config, warnings = load(**{key: text})
    assert getattr(config, key) == value and warnings == []
    expected_type = int if SETTINGS_BY_KEY[key].integer else float
    assert type(getattr(config, key)) is expected_type


@pytest.mark.parametrize("key", list(NUMBER_CASES))
@pytest.mark.parametrize("unset", [0, 0.0, "0", "", "  ", None])
def test_zero_or_empty_number_means_default(key: str, unset: object) -> None:
    config, warnings = load(**{key: unset})
    assert getattr(config, key) == SETTINGS_BY_KEY[key].default and warnings == []


@pytest.mark.parametrize("key", list(NUMBER_CASES))
def test_bad_number_falls_back_with_one_warning_naming_it(key: str) -> None:
    _, _, bad = NUMBER_CASES[key]
    config, warnings = load(**{key: bad})
    assert getattr(config, key) == SETTINGS_BY_KEY[key].default
    assert len(warnings) == 1 and f"Setting {key}=" in warnings[0]
    assert f"using {SETTINGS_BY_KEY[key].default}" in warnings[0]


def test_numbers_reject_booleans_and_fractions_for_whole_numbers() -> None:
    config, warnings = load(max_retries=True, worker_time_slice=30.5)
    assert (config.max_retries, config.worker_time_slice) == (5, 300)
    assert len(warnings) == 2


def test_integral_float_from_stash_is_accepted_for_whole_numbers() -> None:
    config, warnings = load(max_retries=7.0)
    assert config.max_retries == 7 and isinstance(config.max_retries, int) and warnings == []


@pytest.mark.parametrize("key", list(STRING_CASES))
def test_strings_are_normalised(key: str) -> None:
    text, value, _ = STRING_CASES[key]
    config, warnings = load(**{key: text})
    assert getattr(config, key) == value and warnings == []


@pytest.mark.parametrize("key", [k for k, case in STRING_CASES.items() if case[2] is not None])
def test_bad_string_falls_back_with_one_warning_naming_it(key: str) -> None:
    config, warnings = load(**{key: STRING_CASES[key][2]})
    assert getattr(config, key) == SETTINGS_BY_KEY[key].default
    assert len(warnings) == 1 and f"Setting {key}=" in warnings[0]


@pytest.mark.parametrize("key", ["reconcile_interval", "reconcile_scope", "plex_library"])
def test_empty_string_means_default(key: str) -> None:
    config, warnings = load(**{key: ""})
    assert getattr(config, key) == SETTINGS_BY_KEY[key].default and warnings == []


def test_plex_url_is_normalised() -> None:
    config, _ = load(plex_url=" 192.168.1.5:32400/ ")
    assert config.plex_url == "http://192.168.1.5:32400"
    config, _ = load(plex_url="HTTPS://plex.example.org:443/plex/")
    assert config.plex_url == "https://plex.example.org:443/plex"
    config, _ = load(plex_url=f"http://plex:32400/web/index.html?X-Plex-Token={PLEX_TOKEN}#!/")
    assert config.plex_url == "http://plex:32400"


@pytest.mark.parametrize("missing", [{}, {"plex_url": ""}, {"plex_token": "  "}])
def test_missing_url_or_token_raises_config_error_saying_where_to_fix(missing: dict) -> None:
    raw = {**REQUIRED, **missing} if missing else {}
    with pytest.raises(ConfigError) as raised:
        load_config(raw, Warnings())
    message = str(raised.value)
    assert "Settings → Plugins → Stash2Plex" in message
    for key in ("plex_url", "plex_token"):
        assert (key in message) == (not raw.get(key, "").strip()), key
    assert PLEX_TOKEN not in message


def test_invalid_plex_url_is_a_config_error_without_echoing_the_token() -> None:
    warnings = Warnings()
    with pytest.raises(ConfigError, match="plex_url is invalid"):
        load_config({"plex_url": "ftp://plex", "plex_token": PLEX_TOKEN}, warnings)
    assert len(warnings) == 1 and "plex_url" in warnings[0]
    bad_token = "has space inside"
    with pytest.raises(ConfigError, match="plex_token is invalid"):
        load_config({**REQUIRED, "plex_token": bad_token}, warnings)
    assert bad_token not in " ".join(warnings) and "(hidden)" in warnings[-1]


def test_legacy_enabled_and_sync_keys_are_inverted_aliases() -> None:
    config, warnings = load(enabled=False, sync_title="false", sync_tags=True, sync_details=False)
    assert config.paused is True
    assert config.skip_title is True and config.skip_tags is False and config.skip_summary is True
    assert warnings == []


def test_current_key_wins_over_its_legacy_alias() -> None:
    config, _ = load(enabled=False, paused=False, sync_poster=False, skip_poster="false")
    assert config.paused is False and config.skip_poster is False


def test_legacy_timeouts_are_honoured_unless_the_new_key_is_saved() -> None:
    config, _ = load(plex_connect_timeout=12, plex_read_timeout="90", read_timeout=0)
    assert (config.connect_timeout, config.read_timeout) == (12.0, 90.0)
    config, _ = load(plex_read_timeout=90, read_timeout=45)
    assert config.read_timeout == 45.0


def test_1x_skip_not_found_is_ignore_not_in_plex() -> None:
    assert load(skip_not_found=True)[0].ignore_not_in_plex is True
    assert load(skip_not_found=False)[0].ignore_not_in_plex is False
    assert load(skip_not_found=True, ignore_not_in_plex=False)[0].ignore_not_in_plex is False


def test_1x_obfuscate_paths_is_hide_paths() -> None:
    assert load(obfuscate_paths=True)[0].hide_paths is True
    assert load(obfuscate_paths=False)[0].hide_paths is False
    assert load(obfuscate_paths=True, hide_paths=False)[0].hide_paths is False


def test_1x_trigger_plex_scan_is_the_inverse_of_skip_plex_scan() -> None:
    assert load(trigger_plex_scan=False)[0].skip_plex_scan is True
    assert load(trigger_plex_scan=True)[0].skip_plex_scan is False
    assert load(trigger_plex_scan=False, skip_plex_scan=False)[0].skip_plex_scan is False


def test_1x_reconcile_missing_is_the_inverse_of_reconcile_skip_missing() -> None:
    assert load(reconcile_missing="false")[0].reconcile_skip_missing is True
    assert load(reconcile_missing=True)[0].reconcile_skip_missing is False


def test_1x_timeouts_share_our_keys() -> None:
    """1.x's connect_timeout/read_timeout are our own keys, in seconds as ours (SPEC §5)."""
    config, warnings = load(connect_timeout=10, read_timeout=60)
    assert (config.connect_timeout, config.read_timeout, warnings) == (10.0, 60.0, [])


def test_1x_settings_without_meaning_here_are_retired_not_unknown() -> None:
    warnings = Warnings()
    resolved = resolve_settings(
        {**REQUIRED, "poll_interval": 30, "sync_master": True, "strict_matching": True}, warnings
    )
    assert resolved.retired == ["poll_interval", "sync_master"] and warnings == []
    # strict matching is all this version does: only a saved false (loose wanted) is named
    assert resolve_settings({"strict_matching": False}, warnings).retired == ["strict_matching"]


def test_bad_legacy_timeout_is_ignored_naming_the_old_key() -> None:
    config, warnings = load(plex_connect_timeout=-1)
    assert config.connect_timeout == 5
    assert warnings == [
        "Setting plex_connect_timeout (old name of connect_timeout): must be between 0.5 and "
        "300; ignored"
    ]


@pytest.mark.parametrize(
    ("raw", "warning"),
    [
        ({"max_retries": "abc"}, "Setting max_retries='abc': not a number; using 5"),
        ({"max_retries": 2.5}, "Setting max_retries=2.5: not a whole number; using 5"),
        ({"max_retries": 101}, "Setting max_retries=101: must be between 1 and 100; using 5"),
        ({"connect_timeout": float("nan")}, "Setting connect_timeout=nan: not a number; using 5"),
        ({"paused": "maybe"}, "Setting paused='maybe': not true or false; using off"),
        ({"plex_library": ["a"]}, "Setting plex_library=['a']: not text; using empty"),
        (
            {"reconcile_scope": "month"},
            "Setting reconcile_scope='month': must be one of all, 24h, 7days; using 24h",
        ),
        (
            {"path_map": "/a=/b"},
            "Setting path_map='/a=/b': entry 1 ('/a=/b') needs exactly one '=>' "
            "(stash_prefix=>plex_prefix); using empty",
        ),
    ],
)
def test_each_kind_of_bad_value_is_told_in_words(raw: dict, warning: str) -> None:
    _, warnings = load(**raw)
    assert warnings == [warning]


def test_the_lenient_reading_returns_the_strict_model() -> None:
    config, _ = load(max_retries="7", paused="yes")
    assert type(config) is Stash2PlexConfig and (config.max_retries, config.paused) == (7, True)
    assert Stash2PlexConfig(**config.model_dump()) == config


def test_every_alias_targets_a_boolean_or_number_of_the_table() -> None:
    for alias in LEGACY_ALIASES:
        target = SETTINGS_BY_KEY[alias.key]
        assert target.type in ("BOOLEAN", "NUMBER"), alias.old_key
        assert target.type == "BOOLEAN" or not alias.invert, alias.old_key


def test_bad_legacy_value_is_ignored_with_one_warning() -> None:
    config, warnings = load(sync_studio="perhaps")
    assert config.skip_studio is False
    assert len(warnings) == 1 and "sync_studio" in warnings[0]


def test_unknown_keys_get_one_warning_listing_them() -> None:
    _, warnings = load(turbo=30, strict_mode=True)
    assert warnings == ["Ignored settings unknown to this version: strict_mode, turbo"]


def test_direct_construction_is_strict() -> None:
    with pytest.raises(ValidationError):
        Stash2PlexConfig(**REQUIRED, max_retries="5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Stash2PlexConfig(**REQUIRED, max_retries=0)
    with pytest.raises(ValidationError):
        Stash2PlexConfig(**REQUIRED, reconcile_scope="month")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Stash2PlexConfig(**REQUIRED, no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Stash2PlexConfig(plex_url="", plex_token=PLEX_TOKEN)
    config = Stash2PlexConfig(**REQUIRED, connect_timeout=3)
    with pytest.raises(ValidationError):
        config.paused = True  # type: ignore[misc]


def test_repr_and_redacted_view_hide_the_token() -> None:
    config, _ = load()
    assert PLEX_TOKEN not in repr(config) and PLEX_TOKEN not in str(config)
    assert "plex_token='***'" in repr(config)
    resolved = resolve_settings({**REQUIRED, "max_retries": 9}, Warnings())
    assert redacted_values(resolved)["plex_token"] == "***"
    assert redacted_values(resolved)["max_retries"] == 9
    assert config.plex_token == PLEX_TOKEN


def test_derived_views() -> None:
    config, _ = load(plex_library="Movies, ,Clips", exclude_tags="Tag A,tag b", path_map="/a=>/b")
    assert config.library_names == ("Movies", "Clips")
    assert config.excluded_tags == frozenset({"tag a", "tag b"})
    assert config.path_mapping.to_plex("/a/x.mp4") == "/b/x.mp4"


def test_non_mapping_settings_fall_back_to_defaults_with_a_warning() -> None:
    warnings = Warnings()
    with pytest.raises(ConfigError):
        load_config(["not", "a", "map"], warnings)  # type: ignore[arg-type]
    assert len(warnings) == 1


def test_snapshot_round_trip_drops_secrets(tmp_path: Path) -> None:
    config, _ = load(debug_logging=True, max_retries=9)
    values = config.model_dump()
    write_snapshot(tmp_path, values, configured=True, now=1000.0)
    stored = json.loads((tmp_path / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    assert "plex_token" not in stored["settings"] and PLEX_TOKEN not in json.dumps(stored)
    snap = read_snapshot(tmp_path)
    assert snap.written_at == 1000.0 and snap.configured is True and snap.problem is None
    assert snap.settings["debug_logging"] is True and snap.settings["max_retries"] == 9
    assert "plex_token" not in snap.settings


def test_snapshot_absent_or_corrupt_gives_defaults(tmp_path: Path) -> None:
    expected = {k: v for k, v in defaults().items() if k != "plex_token"}
    absent = read_snapshot(tmp_path)
    assert absent.settings == expected and absent.written_at is None and absent.problem is None
    (tmp_path / SNAPSHOT_FILE).write_bytes(b"{not json")
    corrupt = read_snapshot(tmp_path)
    assert corrupt.settings == expected and corrupt.problem
    (tmp_path / SNAPSHOT_FILE).write_text('{"settings": {"max_retries": "9", "paused": 1}}')
    wrong_types = read_snapshot(tmp_path)
    assert wrong_types.settings["max_retries"] == 5 and wrong_types.settings["paused"] is False
