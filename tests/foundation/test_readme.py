"""The README's generated tables equal the code tables; its quoted messages are real ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.errors import ConfigError, InvocationError
from plugin.invocation import parse_invocation
from plugin.manifest import (
    GENERATED_SECTIONS,
    README_FILES,
    generated_section,
    main,
    update_generated_sections,
)
from sandbox.harness import REPO_ROOT
from validation.config import load_config


def _readme() -> Path:
    """The README file that carries the generated sections."""
    for name in README_FILES:
        path = REPO_ROOT / name
        if path.is_file() and "<!-- BEGIN settings-table" in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(f"no README with generated sections among {README_FILES}")


@pytest.mark.parametrize("section", list(GENERATED_SECTIONS))
def test_readme_tables_equal_their_rendering(section: str) -> None:
    text = _readme().read_text(encoding="utf-8")
    assert generated_section(text, section) == GENERATED_SECTIONS[section](), (
        "README table is stale: run .venv/bin/python -m plugin.manifest --write"
    )


def test_update_replaces_only_the_marked_sections() -> None:
    text = (
        "intro\n<!-- BEGIN settings-table (generated) -->\nSTALE-ROW\n<!-- END settings-table -->\n"
        "middle\n<!-- BEGIN tasks-table x -->\n<!-- END tasks-table -->\noutro\n"
    )
    updated = update_generated_sections(text)
    assert updated.startswith("intro\n") and "\nmiddle\n" in updated and updated.endswith("outro\n")
    assert (
        "STALE-ROW" not in updated and "| `plex_url` |" in updated and "| View Status |" in updated
    )
    assert update_generated_sections(updated) == updated


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert main(["--check"]) == 0
    (tmp_path / "Stash2Plex.yml").write_text("name: stale\n")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_messages_quoted_in_troubleshooting_are_the_real_ones() -> None:
    text = _readme().read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as not_set:
        load_config({}, lambda _: None)
    assert str(not_set.value).startswith("Stash2Plex is not set up: plex_url is not set")
    assert "`Stash2Plex is not set up: plex_url is not set ...`" in text
    with pytest.raises(InvocationError) as empty:
        parse_invocation(b"")
    assert f"`{str(empty.value).split(', which')[0]} ...`" in text
    warnings: list[str] = []
    load_config(
        {"plex_url": "http://p", "plex_token": "tokenvalue", "max_retries": "abc"}, warnings.append
    )
    assert f"`{warnings[0]}`" in text


def test_outage_messages_quoted_in_troubleshooting_are_the_real_ones() -> None:
    from base.status import SceneStatus
    from plex.errors import _from_status
    from worker.loop import _plex_error

    text = _readme().read_text(encoding="utf-8")
    revoked = str(_plex_error(SceneStatus.TOKEN_REJECTED, "401", "the queue is kept and retried"))
    assert revoked.startswith("Plex token rejected (") and "the queue is kept" in revoked
    assert "`Plex token rejected (...); the queue is kept ...`" in text
    # Plex's own message already says so: said once, not nested inside itself
    told = str(_from_status(401, " on GET /library/sections", ""))
    revoked = str(_plex_error(SceneStatus.TOKEN_REJECTED, told, "the queue is kept"))
    assert revoked.startswith("Plex token rejected (") and revoked.count("token rejected") <= 2
    assert "Plex token rejected (Plex token rejected" not in revoked
    down = str(_plex_error(SceneStatus.PLEX_UNREACHABLE, "refused", "the queue is kept"))
    assert down.startswith("Plex unreachable (") and "`Plex unreachable (...)`" in text
    # Lines of a run summary quoted there have the summary's shape
    from runtime import voice

    pushed = voice.group_line(
        12,
        "not pushed",
        [("not organized", 9, ['41 "Title"', "57"]), ("no meaningful metadata", 3, ["63"])],
    )
    assert f"`{pushed}`" in text
    too_long = str(_from_status(414, "", ""))
    assert too_long.startswith("Plex refused the request as too long (414")
    assert "`Plex refused the request as too long (414 ...)`" in text


def test_the_first_run_checklist_names_real_settings_and_tasks() -> None:
    """A renamed task or setting would leave the checklist leading new users nowhere."""
    from plugin.dispatch import task_routes
    from validation.settings_table import SETTINGS_BY_KEY

    text = _readme().read_text(encoding="utf-8")
    checklist = text.split("\n## First run\n", 1)[1].split("\n## ", 1)[0]
    tasks = {route.name for route in task_routes()}
    for task in ("Health Check", "Sync All Scenes"):
        assert f"**{task}**" in checklist or f"Stash2Plex: {task}**" in checklist
        assert task in tasks, task
    for key in ("plex_url", "plex_token"):
        assert f"(`{key}`)" in checklist and key in SETTINGS_BY_KEY
        assert f"**{SETTINGS_BY_KEY[key].display_name}**" in checklist
    assert "X-Plex-Token" in checklist  # how to find the token
