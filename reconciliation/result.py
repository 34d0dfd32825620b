"""`GapDetectionResult`: what one reconciliation run found and did (SPEC §3 names and fields).

Plain data: the scheduler records it (`record_run` reads the counts by name), the tasks render
it (`summary_lines`, `preview`), the worker logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciliation.detector import (
    GAP_DRIFT,
    GAP_EMPTY_METADATA,
    GAP_MISSING,
    GAP_PLEX_DRIFT,
    GAP_STALE_SYNC,
    GapResult,
    first_file_path,
)

__all__ = ["GAP_WORDS", "MAX_KEPT_GAPS", "GapDetectionResult"]

# The log line names gap types in words; the output keeps SPEC §3's names (`gaps_by_type`).
GAP_WORDS = {
    GAP_EMPTY_METADATA: "empty in Plex",
    GAP_STALE_SYNC: "edited in Stash since the last sync",
    GAP_MISSING: "not in Plex yet",
    GAP_DRIFT: "names changed in Stash without a scene edit",
    GAP_PLEX_DRIFT: "edited in Plex",
}
MAX_KEPT_GAPS = 200  # gaps kept with their reasons (preview); the counts cover every gap


@dataclass
class GapDetectionResult:
    """One run. `total_gaps` is the sum of the per-type counts (a scene with two kinds of gap
    counts twice); `enqueued_count` counts unique scenes. A run with `errors` is partial:
    what it enqueued stays queued, and the next run finds the rest."""

    empty_metadata_count: int = 0
    stale_sync_count: int = 0
    missing_count: int = 0
    total_gaps: int = 0
    enqueued_count: int = 0
    scenes_checked: int = 0
    errors: list[str] = field(default_factory=list)
    skipped_already_queued: int = 0  # gap scenes with work already pending (inbox or queue)
    skipped_no_metadata: int = 0  # gap scenes that fail has_meaningful_metadata: never pushed
    plex_requests: int = 0
    duration_s: float = 0.0
    scope: str = "all"
    dry_run: bool = False
    scenes_with_gaps: int = 0  # unique scenes with at least one gap
    to_enqueue_count: int = 0  # unique scenes passing the enqueue rules (dry run: not enqueued)
    ambiguous_count: int = 0  # scenes whose file is in Plex but ambiguous: reported, no gap
    stash_requests: int = 0
    stash_requests_extra: int = 0  # besides the pages: the check of scenes gone from Stash
    forgotten_count: int = 0  # synced scenes gone from Stash, forgotten (scope all only)
    scenes_fetched: int = 0  # scenes Stash returned (scoped runs ask for a wider window)
    plex_checked: bool = False  # False when Plex was unreachable: only stale syncs were checked
    gaps: list[GapResult] = field(default_factory=list)  # the first `keep_gaps` gaps
    keep_gaps: int = MAX_KEPT_GAPS
    drift_count: int = 0  # Stash-side drift: what Plex should show changed without an edit
    plex_drift_count: int = 0  # Plex-side drift (reconcile_verify_plex)
    plex_verified: bool = False  # Plex-side drift was checked
    plex_drift_report_only: bool = False  # preserve_plex_edits: Plex-side drift not queued
    # ignore_not_in_plex: scenes the worker noted as not in Plex, still absent (left out of
    # `missing`), and those whose file the refreshed index holds now (queued).
    not_in_plex_count: int = 0
    in_plex_now_count: int = 0

    @property
    def by_type(self) -> dict[str, int]:
        counts = {
            "empty_metadata": self.empty_metadata_count,
            "stale_sync": self.stale_sync_count,
            "missing": self.missing_count,
            "drift": self.drift_count,
        }
        if self.plex_verified:
            counts["plex_drift"] = self.plex_drift_count
        return counts

    @property
    def complete(self) -> bool:
        return not self.errors

    def count(self, gap: GapResult) -> None:
        """Add one detected gap to the per-type counts (and keep it if there is room)."""
        if gap.gap_type == "empty_metadata":
            self.empty_metadata_count += 1
        elif gap.gap_type == "stale_sync":
            self.stale_sync_count += 1
        elif gap.gap_type == "missing":
            self.missing_count += 1
        elif gap.gap_type == "drift":
            self.drift_count += 1
        elif gap.gap_type == "plex_drift":
            self.plex_drift_count += 1
        self.total_gaps = sum(self.by_type.values())
        if len(self.gaps) < self.keep_gaps:
            self.gaps.append(gap)

    def preview(self, limit: int = 20) -> list[dict[str, object]]:
        """The first `limit` gaps as plain dicts (scene id, type, path, reason)."""
        return [
            {
                "scene_id": gap.scene_id,
                "gap_type": gap.gap_type,
                "path": first_file_path(gap.scene_data),
                "reason": gap.reason,
            }
            for gap in self.gaps[: max(limit, 0)]
        ]

    def to_dict(self, gap_limit: int = 0) -> dict[str, object]:
        """Everything but the scene dicts, JSON-ready; `gap_limit` gaps included as preview."""
        data: dict[str, object] = {
            "scope": self.scope,
            "dry_run": self.dry_run,
            "complete": self.complete,
            "plex_checked": self.plex_checked,
            "plex_verified": self.plex_verified,
            "scenes_checked": self.scenes_checked,
            "gaps_by_type": self.by_type,
            "total_gaps": self.total_gaps,
            "scenes_with_gaps": self.scenes_with_gaps,
            "enqueued_count": self.enqueued_count,
            "to_enqueue_count": self.to_enqueue_count,
            "skipped_already_queued": self.skipped_already_queued,
            "skipped_no_metadata": self.skipped_no_metadata,
            "ambiguous_count": self.ambiguous_count,
            "not_in_plex_count": self.not_in_plex_count,
            "in_plex_now_count": self.in_plex_now_count,
            "forgotten_count": self.forgotten_count,
            "plex_requests": self.plex_requests,
            "stash_requests": self.stash_requests,
            "duration_s": round(self.duration_s, 3),
            "errors": list(self.errors),
        }
        if gap_limit:
            data["gaps"] = self.preview(gap_limit)
        return data

    def summary_lines(self) -> list[str]:
        """A few log lines: counts by type, what was enqueued or skipped, errors."""
        kinds = ", ".join(
            f"{GAP_WORDS.get(name, name)} {count}" for name, count in self.by_type.items()
        )
        action = (
            f"{self.to_enqueue_count} scene(s) would be queued (preview: nothing queued)"
            if self.dry_run
            else f"{self.enqueued_count} scene(s) queued"
        )
        lines = [
            f"Reconciliation ({self.scope}): {self.scenes_checked} scene(s) checked, "
            f"{self.total_gaps} gap(s) ({kinds}) in {self.scenes_with_gaps} scene(s); {action}.",
        ]
        skipped = []
        if self.skipped_already_queued:
            skipped.append(f"{self.skipped_already_queued} already queued")
        if self.skipped_no_metadata:
            skipped.append(f"{self.skipped_no_metadata} without metadata to push")
        if skipped:
            lines.append("Not queued: " + ", ".join(skipped) + ".")
        if self.plex_drift_count and self.plex_drift_report_only:
            lines.append(
                f"{self.plex_drift_count} scene(s) have fields edited in Plex since the last "
                "push; left alone (preserve_plex_edits is on), listed in Preview Gaps."
            )
        if self.in_plex_now_count:
            lines.append(
                f"{self.in_plex_now_count} scene(s) Plex did not have before are in Plex now"
                + (" (preview: nothing queued)." if self.dry_run else " and were queued.")
            )
        if self.not_in_plex_count:
            verb = "is" if self.not_in_plex_count == 1 else "are"
            lines.append(
                f"{self.not_in_plex_count} scene(s) {verb} not in Plex (left alone: Ignore "
                "scenes not in Plex is on)."
            )
        if self.forgotten_count:
            lines.append(
                f"{self.forgotten_count} synced scene(s) no longer exist in Stash (merged or "
                "deleted without a hook): forgotten, their Plex items are no longer claimed."
            )
        if self.ambiguous_count:
            lines.append(
                f"{self.ambiguous_count} scene(s) match Plex ambiguously and are left alone "
                "(the worker reports them when they are edited)."
            )
        lines.append(
            f"Requests: Plex {self.plex_requests}, Stash {self.stash_requests}; "
            f"{self.duration_s:.1f} s."
        )
        lines.extend(f"Incomplete: {error}" for error in self.errors)
        return lines
