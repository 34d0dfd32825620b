"""The one table of plugin settings (SPEC §5): key, type, default, limits, texts, aliases.

Standard library only. The manifest's settings block, the README table, the pydantic model,
the lenient loader and the hook's snapshot reader are all derived from or checked against it.
Stash can declare no defaults, so they live here; every BOOLEAN defaults to false.
"""

from __future__ import annotations

from base.record import Record

__all__ = [
    "LEGACY_ALIASES",
    "REQUIRED",
    "RETIRED_1X",
    "SETTINGS",
    "SETTINGS_BY_KEY",
    "Alias",
    "Setting",
    "default_text",
    "defaults",
    "manifest_description",
    "secret_keys",
]

REQUIRED = None  # `default` of a setting the user must fill in


class Setting(Record):
    """One plugin setting as Stash stores it and as the plugin uses it.

    `type` is Stash's (STRING, NUMBER, BOOLEAN). NUMBER settings are `integer` or float and
    bounded by `minimum`/`maximum`; STRING settings may restrict to `choices` (lower case).
    `secret` values never reach a log line, a status output or the settings snapshot.
    `default` is REQUIRED (None) for settings the user must fill in.
    """

    __slots__ = (
        "choices",
        "default",
        "description",
        "display_name",
        "integer",
        "key",
        "maximum",
        "minimum",
        "secret",
        "type",
    )

    def __init__(
        self,
        key: str,
        type: str,
        default: str | int | float | bool | None,
        display_name: str,
        description: str,
        *,
        secret: bool = False,
        choices: tuple[str, ...] = (),
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = True,
    ) -> None:
        self.key = key
        self.type = type
        self.default = default
        self.display_name = display_name
        self.description = description
        self.secret = secret
        self.choices = choices
        self.minimum = minimum
        self.maximum = maximum
        self.integer = integer

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class Alias(Record):
    """A key saved by an earlier Stash2Plex; used only when `key` itself is not saved.

    `invert`: the old key meant "on" (`enabled`, `sync_*`) where ours names the change.
    """

    __slots__ = ("invert", "key", "old_key")

    def __init__(self, old_key: str, key: str, invert: bool = False) -> None:
        self.old_key = old_key
        self.key = key
        self.invert = invert


def _skip(field: str, plex_field: str) -> Setting:
    return Setting(
        f"skip_{field}",
        "BOOLEAN",
        False,
        f"Skip {field}",
        f"Never write the Plex {plex_field}.",
    )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "plex_url",
        "STRING",
        REQUIRED,
        "Plex URL",
        "Address of the Plex Media Server, e.g. http://127.0.0.1:32400.",
    ),
    Setting(
        "plex_token",
        "STRING",
        REQUIRED,
        "Plex token",
        "X-Plex-Token of a Plex account allowed to edit the libraries. Never logged.",
        secret=True,
    ),
    Setting(
        "plex_library",
        "STRING",
        "",
        "Plex libraries",
        "Comma-separated titles of the Plex libraries to write to; empty means every "
        "movie-type library.",
    ),
    Setting(
        "path_map",
        "STRING",
        "",
        "Path map (Stash=>Plex)",
        "How Stash file paths look to Plex when they differ: stash_prefix=>plex_prefix, "
        "several separated by ';' (e.g. /data=>/media; D:\\Videos=>/mnt/videos). "
        "The longest matching prefix wins.",
    ),
    Setting(
        "plex_skip_tls_verify",
        "BOOLEAN",
        False,
        "Accept self-signed Plex certificate",
        "Do not verify the certificate of an https Plex URL.",
    ),
    Setting(
        "paused",
        "BOOLEAN",
        False,
        "Pause pushing",
        "Keep recording edits but push nothing to Plex until unticked.",
    ),
    _skip("title", "title"),
    _skip("summary", "summary (from Stash details)"),
    _skip("date", "release date and year"),
    _skip("rating", "user rating"),
    _skip("studio", "studio"),
    _skip("performers", "actors (from Stash performers)"),
    _skip("tags", "genres (from Stash tags)"),
    _skip("collections", "collections (from studio, parent studio and groups)"),
    Setting(
        "skip_collection_details",
        "BOOLEAN",
        False,
        "Skip collection details",
        "Leave the collections Stash2Plex created bare: no poster, summary or scene order "
        "from the Stash group or studio.",
    ),
    _skip("poster", "poster (from the Stash cover)"),
    _skip("background", "background (from the Stash cover)"),
    Setting(
        "require_organized",
        "BOOLEAN",
        False,
        "Require organized",
        "Push only scenes marked Organized in Stash.",
    ),
    Setting(
        "exclude_tags",
        "STRING",
        "",
        "Exclude tags",
        "Comma-separated Stash tag names never pushed as Plex genres.",
    ),
    Setting(
        "content_rating",
        "STRING",
        "",
        "Content rating",
        "Written as the content rating of every synced item (e.g. XXX); empty leaves "
        "Plex's value alone.",
    ),
    Setting(
        "preserve_plex_edits",
        "BOOLEAN",
        False,
        "Preserve Plex edits",
        "Leave alone a field edited by hand in Plex since Stash2Plex last wrote it.",
    ),
    Setting(
        "skip_plex_scan",
        "BOOLEAN",
        False,
        "Skip Plex scan",
        "Never ask Plex to scan a folder holding a file it does not know yet.",
    ),
    Setting(
        "ignore_not_in_plex",
        "BOOLEAN",
        False,
        "Ignore scenes not in Plex",
        "Scenes whose file Plex does not have (or that lie outside every Plex library) are "
        "only counted: not failed, warned about, scanned or retried. They are pushed once "
        "Plex has their file (found when Stash2Plex next reads Plex's library, e.g. a "
        "reconciliation).",
    ),
    Setting(
        "max_retries",
        "NUMBER",
        5,
        "Max retries",
        "Attempts before a scene goes to the failed list (1-100); 0 means the default.",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "connect_timeout",
        "NUMBER",
        5,
        "Plex connect timeout (s)",
        "Seconds to wait for Plex to accept a connection (0.5-300); 0 means the default.",
        minimum=0.5,
        maximum=300,
        integer=False,
    ),
    Setting(
        "read_timeout",
        "NUMBER",
        30,
        "Plex read timeout (s)",
        "Seconds to wait for an answer from Plex (1-3600); 0 means the default.",
        minimum=1,
        maximum=3600,
        integer=False,
    ),
    Setting(
        "plex_write_delay_ms",
        "NUMBER",
        0,
        "Plex write delay (ms)",
        "Pause between the starts of two writes to Plex, in milliseconds (0-60000).",
        minimum=0,
        maximum=60_000,
    ),
    Setting(
        "plex_parallel_writes",
        "NUMBER",
        4,
        "Plex parallel requests",
        "Plex requests in flight at once during a sync (1-16); 0 means the default, 4. "
        "Stash2Plex sends fewer at once by itself while Plex answers errors. 1 sends one at a "
        "time: use it for a weak NAS, a Plex that answers 503 or 429, or a server others use "
        "heavily.",
        minimum=1,
        maximum=16,
    ),
    Setting(
        "worker_time_slice",
        "NUMBER",
        300,
        "Worker time slice (s)",
        "Seconds a queue run works before handing Stash's job queue back to scans and "
        "other tasks (10-86400); 0 means the default.",
        minimum=10,
        maximum=86_400,
    ),
    Setting(
        "reconcile_interval",
        "STRING",
        "never",
        "Reconcile interval",
        "How often reconciliation runs by itself: never, hourly, daily or weekly.",
        choices=("never", "hourly", "daily", "weekly"),
    ),
    Setting(
        "reconcile_scope",
        "STRING",
        "24h",
        "Reconcile scope",
        "Scenes an automatic reconciliation checks: all, 24h (updated in the last day) or 7days.",
        choices=("all", "24h", "7days"),
    ),
    Setting(
        "reconcile_skip_missing",
        "BOOLEAN",
        False,
        "Reconcile: skip missing",
        "Leave scenes missing from Plex out of reconciliation.",
    ),
    Setting(
        "reconcile_verify_plex",
        "BOOLEAN",
        False,
        "Reconcile: verify Plex",
        "Also compare each synced item's title, summary, studio, date, rating and content "
        "rating in Plex with what was last pushed, and queue items changed in Plex (only "
        "reported when 'preserve Plex edits' is on). Uses the path index: no extra Plex "
        "requests.",
    ),
    Setting(
        "hide_paths",
        "BOOLEAN",
        False,
        "Hide file paths",
        "Name scenes by id and title instead of file paths and file names in every log, "
        "status and Health Check line, so logs can be shared (the path-map suggestion "
        "still shows the folder prefixes to type).",
    ),
    Setting(
        "pull_plays",
        "BOOLEAN",
        False,
        "Pull plays from Plex",
        "Plays and resume points of the configured Plex accounts become Stash plays and "
        "resume points of the synced scenes (Pull Plex Activity, and every Process Queue run).",
    ),
    Setting(
        "pull_ratings",
        "BOOLEAN",
        False,
        "Pull ratings from Plex",
        "A rating set in Plex becomes the scene's rating in Stash; when both sides changed, "
        "Stash's rating wins and goes back to Plex.",
    ),
    Setting(
        "plex_accounts",
        "STRING",
        "",
        "Plex accounts whose plays count",
        "Comma-separated Plex account ids or names; empty means the server owner.",
    ),
    Setting(
        "debug_logging",
        "BOOLEAN",
        False,
        "Debug logging",
        "Log details for troubleshooting (at info level, prefixed [debug]).",
    ),
)

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}

_SYNC_FIELDS = (
    "title",
    "summary",
    "date",
    "rating",
    "studio",
    "performers",
    "tags",
    "collections",
    "poster",
    "background",
)

LEGACY_ALIASES: tuple[Alias, ...] = (
    Alias("enabled", "paused", invert=True),
    *(Alias(f"sync_{f}", f"skip_{f}", invert=True) for f in _SYNC_FIELDS),
    Alias("sync_details", "skip_summary", invert=True),
    Alias("sync_collection", "skip_collections", invert=True),
    Alias("sync_art", "skip_background", invert=True),
    Alias("plex_connect_timeout", "connect_timeout"),
    Alias("plex_read_timeout", "read_timeout"),
    # Stash2Plex 1.x (reference/earlier-stash2plex.md "Its settings"): its `enabled`, `sync_*`,
    # `connect_timeout`, `read_timeout`, `max_retries`, `preserve_plex_edits`, `plex_*`,
    # `reconcile_interval`/`_scope` and `debug_logging` are covered above or are our own keys.
    Alias("trigger_plex_scan", "skip_plex_scan", invert=True),
    Alias("reconcile_missing", "reconcile_skip_missing", invert=True),
    Alias("skip_not_found", "ignore_not_in_plex"),
    Alias("obfuscate_paths", "hide_paths"),
)

# Stash2Plex 1.x settings with no meaning here: named once, in one info line, on the first
# run (runtime.context), never warned about as unknown. `strict_matching` is honoured rather
# than retired: matching here is always strict (exact path; a basename only when unique and
# the sizes agree, SPEC §2.4), so only a saved `false` (loose matching wanted) is named.
RETIRED_1X: tuple[str, ...] = (
    "max_tags",
    "plex_unmatched_path_map",
    "poll_interval",
    "strict_matching",
    "sync_master",
    "sync_tagline",
)


def defaults() -> dict[str, object]:
    """Every key with its default (required keys as "")."""
    return {s.key: ("" if s.required else s.default) for s in SETTINGS}


def secret_keys() -> frozenset[str]:
    return frozenset(s.key for s in SETTINGS if s.secret)


def default_text(setting: Setting) -> str:
    """The default as the manifest and README state it."""
    if setting.required:
        return "none (required)"
    if setting.type == "BOOLEAN":
        return "on" if setting.default else "off"
    if setting.default == "":
        return "empty"
    return str(setting.default)


def manifest_description(setting: Setting) -> str:
    """The description shown under the setting in Stash: meaning, then the default."""
    return f"{setting.description} Default: {default_text(setting)}."
