"""The reconciliation summary line names gap types in words; the output keeps SPEC's names."""

from __future__ import annotations

from reconciliation.detector import GAP_TYPES, GapResult
from reconciliation.result import GAP_WORDS, GapDetectionResult


def test_every_gap_type_is_named_in_words_in_the_log_and_by_key_in_the_output() -> None:
    result = GapDetectionResult(scope="all", plex_verified=True)
    for i, name in enumerate(GAP_TYPES):
        for _ in range(i + 1):
            result.count(GapResult(1, name, {}, "reason"))
    (first, *_) = result.summary_lines()
    assert set(GAP_WORDS) == set(GAP_TYPES)
    for i, name in enumerate(GAP_TYPES):
        assert f"{GAP_WORDS[name]} {i + 1}" in first
        assert name not in first.replace(GAP_WORDS[name], "")
    assert result.to_dict()["gaps_by_type"] == result.by_type
