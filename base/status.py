"""A scene's fate: the one status type carried from matching and writing to the queue and the
run summary (`SceneStatus`), what the queue does with each (`Treatment`), and the words users
read for it (a short reason phrase and one fix).

Matching (`plex.matching`), desired state (`validation.desired.Skip`) and writing
(`plex.writer`) return members of it; `worker.outcomes.Outcome` carries one and
`apply_outcome` decides on its treatment; `worker.summary.RunSummary` and View Status count
scenes by it. The queue rows and the failed list store `status.value`; `read_status` also
reads what earlier versions stored there (exception class names such as `PlexTransient`,
words such as `NotScannedYet`) and never fails on an unknown value.

Standard library only, no dataclasses. The hook path does not import it.
"""

from __future__ import annotations

from enum import Enum

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    Stash2PlexError,
    StashError,
    StashUnavailable,
)

__all__ = ["SceneStatus", "Treatment", "read_status", "status_of_error"]


class Treatment(str, Enum):
    """What the queue does with a scene (worker.outcomes.apply_outcome)."""

    DONE = "done"  # finished (synced, unchanged, or not to be pushed at all)
    RETRY = "retry"  # backoff with jitter, an attempt counted
    WAIT = "wait"  # a timed wait, no attempt counted
    FAIL = "fail"  # the failed list
    BLOCK = "block"  # untouched; the run stops


class SceneStatus(Enum):
    """Every end of one scene's processing (and `MATCHED`, the one step on the way).

    Each member has `treatment`, `phrase` (a few words saying what happened, for the log) and
    `fix` (one sentence saying what to do, empty when nothing is to be done); `pushed` says
    whether a DONE status reached Plex (synced, unchanged) or the scene was not pushed; an
    `outage` status (Plex answering errors, Stash gone) is counted toward the run's outage
    streak and turns into a block when the streak says Plex or Stash is down.
    """

    # -- done ---------------------------------------------------------------------------------
    SYNCED = ("synced", Treatment.DONE, "synced", "")
    UNCHANGED = ("unchanged", Treatment.DONE, "already up to date", "")
    NOT_ORGANIZED = (
        "not_organized",
        Treatment.DONE,
        "not organized",
        "mark them Organized in Stash, or turn off the Require organized setting",
    )
    NO_METADATA = (
        "no_metadata",
        Treatment.DONE,
        "no meaningful metadata",
        "give them a studio, performer, tag, details or date in Stash",
    )
    NO_FILES = (
        "no_files",
        Treatment.DONE,
        "no files",
        "nothing to match in Plex until the scene has a file in Stash",
    )
    NOT_IN_PLEX = (  # only with the ignore_not_in_plex setting: counted, nothing to do
        "not_in_plex",
        Treatment.DONE,
        "not in Plex",
        "nothing to do: they are pushed once Plex has their file (Ignore scenes not in Plex is on)",
    )
    OPTIMIZED_COPY = (  # the file is Plex's own optimized version of an item: never pushed
        "optimized_copy",
        Treatment.DONE,
        "Plex's optimized copy of an item",
        "nothing to do: Plex made this file itself; exclude Plex Versions folders from "
        "Stash's library to stop seeing it",
    )
    BAD_ID = (
        "bad_id",
        Treatment.DONE,
        "unusable scene id",
        "Stash sent a scene without a usable id; rescan the library in Stash",
    )
    # -- on the way: matched, not written yet (a step returning it is retried as a bug) ----
    MATCHED = (
        "matched",
        Treatment.RETRY,
        "matched but not written",
        "retried automatically; if it persists, report it with a debug log",
    )
    # -- waiting ------------------------------------------------------------------------------
    NOT_SCANNED = (
        "not_scanned",
        Treatment.WAIT,
        "not scanned by Plex yet",
        "Plex was asked to scan their folder and they are pushed once it has (with Skip "
        "Plex scan on, scan the library in Plex)",
    )
    COVER_PENDING = (
        "cover_pending",
        Treatment.WAIT,
        "cover not generated yet",
        "generate the cover (screenshot) in Stash; the other fields are already in Plex",
    )
    # -- failed for good ----------------------------------------------------------------------
    OUTSIDE_LIBRARIES = (
        "outside_libraries",
        Treatment.FAIL,
        "outside every Plex library",
        "add their folder to a Plex library, or correct the Path map or Plex libraries "
        "setting, then run Retry Failed",
    )
    AMBIGUOUS = (
        "ambiguous",
        Treatment.FAIL,
        "ambiguous match",
        "their file matches several Plex items or scenes: remove the duplicate, then run "
        "Retry Failed",
    )
    PLEX_REFUSED = (
        "plex_refused",
        Treatment.FAIL,
        "refused by Plex",
        "Plex did not accept a value or found it too long (Debug logging names the item, "
        "field and answer): change it in Stash and it is sent again, or run Retry Failed once "
        "Plex accepts it",
    )
    ERROR = (
        "error",
        Treatment.FAIL,
        "error that a retry cannot fix",
        "turn on Debug logging and run Retry Failed to see the error",
    )
    # -- retried ------------------------------------------------------------------------------
    PLEX_ERROR = (
        "plex_error",
        Treatment.RETRY,
        "Plex answered with an error",
        "retried automatically; if it persists, look at Plex's own log",
    )
    ITEM_GONE = (
        "item_gone",
        Treatment.RETRY,
        "Plex item gone",
        "retried automatically once Plex's library is read again",
    )
    STASH_UNAVAILABLE = (
        "stash_unavailable",
        Treatment.RETRY,
        "Stash did not answer",
        "retried automatically",
    )
    STASH_ERROR = (
        "stash_error",
        Treatment.RETRY,
        "Stash answered with an error",
        "retried automatically; if it persists, look at Stash's log",
    )
    UNEXPECTED = (
        "unexpected",
        Treatment.RETRY,
        "unexpected error",
        "retried automatically; if it persists, report it with a debug log",
    )
    # -- blocked: the run stops, every scene stays queued ---------------------------------------
    PLEX_UNREACHABLE = (
        "plex_unreachable",
        Treatment.BLOCK,
        "Plex unreachable",
        "check that Plex is running and that the Plex URL setting is right",
    )
    TOKEN_REJECTED = (
        "token_rejected",
        Treatment.BLOCK,
        "Plex token rejected",
        "put the current token of the Plex server's owner in the Plex token setting",
    )
    SETTINGS_UNUSABLE = (
        "settings_unusable",
        Treatment.BLOCK,
        "settings unusable",
        "correct the setting the error names",
    )

    treatment: Treatment
    phrase: str
    fix: str

    def __new__(cls, key: str, treatment: Treatment, phrase: str, fix: str) -> SceneStatus:
        member = object.__new__(cls)
        member._value_ = key
        member.treatment = treatment
        member.phrase = phrase
        member.fix = fix
        return member

    @property
    def pushed(self) -> bool:
        """Plex holds the scene as desired (synced or already up to date)."""
        return self in (SceneStatus.SYNCED, SceneStatus.UNCHANGED)

    @property
    def outage(self) -> bool:
        """A retry caused by Plex or Stash being unwell rather than by the scene."""
        return self in (SceneStatus.PLEX_ERROR, SceneStatus.STASH_UNAVAILABLE)


def status_of_error(exc: BaseException) -> SceneStatus:
    """THE classification of an error a scene met, by exception class only (never by text).

    Plex unreachable, token rejected, settings unusable: blocks (the run stops). A Plex 5xx
    or broken answer, an item gone since the index was built, Stash not answering: retried
    (exactly `StashUnavailable` is an outage; its subclass for GraphQL errors and Stash's
    other errors are not). Plex refusing the request itself: failed. Any other classified
    error: failed. Anything unclassified (a bug, hostile data tripping a library): retried,
    so it reaches the failed list after max_retries instead of stopping the queue.
    """
    if isinstance(exc, PlexServerDown):
        return SceneStatus.PLEX_UNREACHABLE
    if isinstance(exc, PlexAuthError):
        return SceneStatus.TOKEN_REJECTED
    if isinstance(exc, ConfigError):
        return SceneStatus.SETTINGS_UNUSABLE
    if isinstance(exc, PlexTransient):
        return SceneStatus.PLEX_ERROR
    if isinstance(exc, PlexNotFound):
        return SceneStatus.ITEM_GONE
    if isinstance(exc, PlexError):  # PlexBadRequest (plex.errors): a permanent 4xx
        return SceneStatus.PLEX_REFUSED
    if type(exc) is StashUnavailable:
        return SceneStatus.STASH_UNAVAILABLE
    if isinstance(exc, StashError):
        return SceneStatus.STASH_ERROR
    if isinstance(exc, Stash2PlexError):
        return SceneStatus.ERROR
    return SceneStatus.UNEXPECTED


# What versions before the status type stored as a queue row's or failed entry's reason.
_LEGACY: dict[str, SceneStatus] = {
    "NotScannedYet": SceneStatus.NOT_SCANNED,
    "CoverPending": SceneStatus.COVER_PENDING,
    "OutsidePlexLibraries": SceneStatus.OUTSIDE_LIBRARIES,
    "OutsideLibraries": SceneStatus.OUTSIDE_LIBRARIES,
    "AmbiguousMatch": SceneStatus.AMBIGUOUS,
    "PlexBadRequest": SceneStatus.PLEX_REFUSED,
    "PlexTransient": SceneStatus.PLEX_ERROR,
    "PlexNotFound": SceneStatus.ITEM_GONE,
    "PlexServerDown": SceneStatus.PLEX_UNREACHABLE,
    "PlexAuthError": SceneStatus.TOKEN_REJECTED,
    "PlexError": SceneStatus.PLEX_ERROR,
    "StashUnavailable": SceneStatus.STASH_UNAVAILABLE,
    "StashQueryError": SceneStatus.STASH_ERROR,
    "StashAuthError": SceneStatus.STASH_ERROR,
    "StashError": SceneStatus.STASH_ERROR,
    "ImageUnavailable": SceneStatus.COVER_PENDING,
    "ConfigError": SceneStatus.SETTINGS_UNUSABLE,
    "StepError": SceneStatus.UNEXPECTED,
    # an outcome kind stored when no reason was given
    "retry": SceneStatus.UNEXPECTED,
    "wait": SceneStatus.NOT_SCANNED,
    "failed": SceneStatus.ERROR,
    "blocked": SceneStatus.PLEX_UNREACHABLE,
}


def read_status(stored: object) -> SceneStatus | None:
    """The status a stored reason names: a `SceneStatus` value, or what earlier versions
    stored (a class name such as `PlexTransient`, or `NotScannedYet: <message>` as a wait
    reason). Any other non-empty text (an exception class of an unclassified error) is
    `UNEXPECTED`; None or empty text is None. Never raises."""
    if not isinstance(stored, str):
        return None
    text = stored.strip()
    if not text:
        return None
    head = text.split(":", 1)[0].strip()
    for candidate in (text, head):
        try:
            return SceneStatus(candidate)
        except ValueError:
            pass
        legacy = _LEGACY.get(candidate)
        if legacy is not None:
            return legacy
    return SceneStatus.UNEXPECTED
