"""What one Health Check step concludes: `CheckResult` (status, one line, the fix) and helpers.
Plain data crossing from the checks to the report and the task's JSON output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validation.config import SETTINGS_HINT
from validation.settings_table import SETTINGS_BY_KEY

__all__ = ["FAIL", "OK", "SKIP", "WARN", "CheckResult", "setting_place"]

OK = "ok"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"  # not run because an earlier check failed


@dataclass(frozen=True)
class CheckResult:
    """One line of the report. `fix` says what to do when `status` is warn or fail."""

    name: str
    status: str
    line: str
    fix: str = ""
    details: dict[str, object] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def as_dict(self) -> dict[str, object]:
        document: dict[str, object] = {"name": self.name, "status": self.status, "line": self.line}
        if self.fix:
            document["fix"] = self.fix
        if self.details:
            document["details"] = self.details
        return document


def setting_place(key: str) -> str:
    """Where the user edits a setting, e.g. "Settings → Plugins → Stash2Plex → Plex token"."""
    setting = SETTINGS_BY_KEY.get(key)
    name = setting.display_name if setting is not None else key
    return f"{SETTINGS_HINT} → {name}"
