"""The one status type of a scene's fate: every member's treatment and words, the error
classification, and reading what the queue and failed list stored (today's values and
earlier versions' class names)."""

from __future__ import annotations

import re

import pytest

from base import errors as base_errors
from base.status import SceneStatus, Treatment, read_status, status_of_error
from plex.errors import PlexBadRequest
from stash.errors import ImageUnavailable, StashQueryError

_CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b")


@pytest.mark.parametrize("status", list(SceneStatus))
def test_every_status_has_a_treatment_and_words_without_internal_names(
    status: SceneStatus,
) -> None:
    assert isinstance(status.treatment, Treatment)
    assert status.phrase and len(status.phrase) <= 40 and "_" not in status.phrase
    assert not _CAMEL.search(status.phrase + " " + status.fix), status
    if status.pushed:
        assert status.fix == ""  # nothing to do
    else:
        assert status.fix, status  # one thing to do for every other fate
    assert SceneStatus(status.value) is status and read_status(status.value) is status


def test_the_treatments_are_the_documented_ones() -> None:
    by_treatment: dict[Treatment, set[SceneStatus]] = {}
    for status in SceneStatus:
        by_treatment.setdefault(status.treatment, set()).add(status)
    s = SceneStatus
    assert by_treatment[Treatment.DONE] == {
        s.SYNCED,
        s.UNCHANGED,
        s.NOT_ORGANIZED,
        s.NO_METADATA,
        s.NO_FILES,
        s.BAD_ID,
        s.NOT_IN_PLEX,
        s.OPTIMIZED_COPY,  # Plex's own copy of an item (issue 15): never retried
    }
    assert by_treatment[Treatment.WAIT] == {s.NOT_SCANNED, s.COVER_PENDING}
    assert by_treatment[Treatment.FAIL] == {
        s.OUTSIDE_LIBRARIES,
        s.AMBIGUOUS,
        s.PLEX_REFUSED,
        s.ERROR,
    }
    assert by_treatment[Treatment.BLOCK] == {
        s.PLEX_UNREACHABLE,
        s.TOKEN_REJECTED,
        s.SETTINGS_UNUSABLE,
    }
    assert by_treatment[Treatment.RETRY] == {
        s.MATCHED,
        s.PLEX_ERROR,
        s.ITEM_GONE,
        s.STASH_UNAVAILABLE,
        s.STASH_ERROR,
        s.UNEXPECTED,
    }
    assert {x for x in SceneStatus if x.outage} == {s.PLEX_ERROR, s.STASH_UNAVAILABLE}
    assert {x for x in SceneStatus if x.pushed} == {s.SYNCED, s.UNCHANGED}


@pytest.mark.parametrize(
    ("stored", "status"),
    [
        # what versions before the status type stored as reasons
        ("NotScannedYet", SceneStatus.NOT_SCANNED),
        (
            "NotScannedYet: file not in Plex yet (not scanned?); folder scan requested",
            SceneStatus.NOT_SCANNED,
        ),
        ("CoverPending: cover pending: placeholder", SceneStatus.COVER_PENDING),
        ("OutsidePlexLibraries", SceneStatus.OUTSIDE_LIBRARIES),
        ("AmbiguousMatch", SceneStatus.AMBIGUOUS),
        ("PlexBadRequest", SceneStatus.PLEX_REFUSED),
        ("PlexTransient", SceneStatus.PLEX_ERROR),
        ("PlexNotFound", SceneStatus.ITEM_GONE),
        ("PlexServerDown", SceneStatus.PLEX_UNREACHABLE),
        ("PlexAuthError", SceneStatus.TOKEN_REJECTED),
        ("StashUnavailable", SceneStatus.STASH_UNAVAILABLE),
        ("StashQueryError", SceneStatus.STASH_ERROR),
        ("StashAuthError", SceneStatus.STASH_ERROR),
        ("ConfigError", SceneStatus.SETTINGS_UNUSABLE),
        ("StepError", SceneStatus.UNEXPECTED),
        ("failed", SceneStatus.ERROR),
        # an unclassified error's class, or anything else: an unexpected error, no crash
        ("ValueError", SceneStatus.UNEXPECTED),
        ("something a future version stores", SceneStatus.UNEXPECTED),
        ("\x00\uffff", SceneStatus.UNEXPECTED),
        # today's values, alone or as a wait reason with its detail
        ("not_scanned: file not in Plex yet", SceneStatus.NOT_SCANNED),
        ("outside_libraries", SceneStatus.OUTSIDE_LIBRARIES),
    ],
)
def test_stored_reasons_are_read_in_both_vocabularies(stored: str, status: SceneStatus) -> None:
    assert read_status(stored) is status


@pytest.mark.parametrize("stored", [None, "", "   ", 42, b"PlexTransient"])
def test_nothing_stored_reads_as_no_status(stored: object) -> None:
    assert read_status(stored) is None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (base_errors.PlexServerDown("x"), SceneStatus.PLEX_UNREACHABLE),
        (base_errors.PlexAuthError("x"), SceneStatus.TOKEN_REJECTED),
        (base_errors.ConfigError("x"), SceneStatus.SETTINGS_UNUSABLE),
        (base_errors.PlexTransient("x"), SceneStatus.PLEX_ERROR),
        (base_errors.PlexNotFound("x"), SceneStatus.ITEM_GONE),
        (PlexBadRequest("x"), SceneStatus.PLEX_REFUSED),
        (base_errors.StashUnavailable("x"), SceneStatus.STASH_UNAVAILABLE),
        (StashQueryError(200, ["locked"]), SceneStatus.STASH_ERROR),
        (base_errors.StashAuthError("x"), SceneStatus.STASH_ERROR),
        (ImageUnavailable("placeholder"), SceneStatus.ERROR),
        (base_errors.LockTimeout("x"), SceneStatus.ERROR),
        (RuntimeError("x"), SceneStatus.UNEXPECTED),
    ],
)
def test_errors_are_classified_by_class_only(error: Exception, status: SceneStatus) -> None:
    assert status_of_error(error) is status
    # the message plays no part: the same class with any text gives the same status
    assert status_of_error(type(error).__new__(type(error))) is status
