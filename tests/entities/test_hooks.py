"""Entity hooks: what each trigger records, and the hook path's cost (standard library only).

The plan (`plan_entity_event`) is pure; the process tests run the real Stash2Plex.py as Stash
starts it and dump `sys.modules` at exit: an entity hook imports nothing a scene hook does not
(plus its own module), nothing third-party and no `dataclasses` (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from base.errors import InvocationError
from plugin.entity_hooks import plan_entity_event
from runtime.invocation import HookEvent
from sandbox.harness import REPO_ROOT, PluginHarness, go_json
from sync_queue.inbox import Inbox
from tests.hook_modules import modules_of_hook
from validation.snapshot import write_snapshot

PERFORMER_INPUT = {"id": "7", "name": "New Name", "rating100": None, "image": None}


def _event(trigger: str, hook_id: int | None, data: object = None, fields: tuple = ()) -> HookEvent:
    return HookEvent(trigger, hook_id, data, tuple(fields))


def _rows(trigger: str, hook_id: int | None, data: object, *fields: str) -> tuple:
    return plan_entity_event(_event(trigger, hook_id, data, fields)).rows


def test_an_update_records_the_entity_only_when_a_pushed_field_was_sent() -> None:
    renamed = plan_entity_event(_event("Performer.Update.Post", 7, PERFORMER_INPUT, ("id", "name")))
    assert renamed.rows == (("performer", [7], False),) and not renamed.ignored
    rated = plan_entity_event(
        _event("Performer.Update.Post", 7, PERFORMER_INPUT, ("rating100", "id"))
    )
    assert rated.rows == () and rated.ignored == "no field Plex shows was sent (rating100)"
    image = plan_entity_event(_event("Performer.Update.Post", 7, PERFORMER_INPUT, ("image", "id")))
    assert image.rows == ()
    # No inputFields at all: unknown, so recorded.
    assert plan_entity_event(_event("Tag.Update.Post", 3, {"id": "3"})).rows == (
        ("tag", [3], False),
    )
    # A studio's parent is one of its scenes' collections.
    reparented = plan_entity_event(
        _event("Studio.Update.Post", 4, {"id": "4"}, ("parent_id", "id"))
    )
    assert reparented.rows == (("studio", [4], False),)
    aliases = plan_entity_event(_event("Tag.Update.Post", 3, {"id": "3"}, ("aliases", "id")))
    assert aliases.rows == ()
    assert plan_entity_event(_event("Group.Update.Post", 2, {}, ("name",))).rows == (
        ("group", [2], False),
    )


def test_destroy_merge_and_bulk_events() -> None:
    destroyed = plan_entity_event(_event("Tag.Destroy.Post", 9, {"id": "9"}))
    assert destroyed.rows == (("tag_destroy", [9], False),)
    merge = {"source": ["4", "5", "6"], "destination": "6"}
    merged = plan_entity_event(_event("Tag.Merge.Post", 6, merge))
    assert merged.rows == (("tag_destroy", [4, 5], False), ("tag", [6], False))
    assert merged.ids == [6, 4, 5]
    bulk = {"ids": ["11", "12"], "parent_id": "3"}
    bulked = plan_entity_event(_event("Studio.Update.Post", 11, bulk, ("ids", "parent_id")))
    assert bulked.rows == (("studio", [11, 12], True),)
    plural = plan_entity_event(_event("Performer.Destroy.Post", 12, ["11", "12"]))
    assert plural.rows == (("performer_destroy", [11, 12], True),)


@pytest.mark.parametrize(
    "event",
    [
        _event("Scene.Update.Post", 3, {"id": "3"}),
        _event("Performer.Update.Post", None, {"name": "x"}, ("name",)),
        _event("Tag.Merge.Post", None, {"source": ["1"]}),
    ],
)
def test_events_naming_no_entity_are_refused(event: HookEvent) -> None:
    with pytest.raises(InvocationError):
        plan_entity_event(event)


def test_hooks_record_into_the_inbox_and_a_destroy_drops_a_pending_update(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_snapshot(data, {}, configured=False)  # not set up: recorded, no wake-up attempt
    harness = PluginHarness(plugin_dir=REPO_ROOT, data_dir=data)
    renamed = harness.run_hook("Tag.Update.Post", 3, {"id": "3", "name": "x"}, ["name", "id"])
    assert renamed.ok and renamed.output == {
        "hook": "Tag.Update.Post",
        "entity": "tag",
        "ids": [3],
        "recorded": True,
    }
    ignored = harness.run_hook("Tag.Update.Post", 4, {"id": "4"}, ["favorite", "id"])
    assert ignored.ok and ignored.output["recorded"] is False
    merged = harness.run_hook("Tag.Merge.Post", 8, {"source": ["3", "5"], "destination": "8"})
    assert merged.ok
    with Inbox(data) as inbox:
        rows = {(row.kind, row.ref_id) for row in inbox.rows()}
    # The merge's destroy of tag 3 superseded its pending rename.
    assert rows == {("tag_destroy", 3), ("tag_destroy", 5), ("tag", 8)}


# -- the hook path's imports -----------------------------------------------------------------


def _stdin(trigger: str, hook_id: int, data: object, fields: list[str] | None) -> bytes:
    context: dict[str, object] = {"id": hook_id, "type": trigger, "input": data}
    if fields:
        context["inputFields"] = fields
    connection = {"Scheme": "http", "Host": "0.0.0.0", "Port": 1, "Dir": "/", "PluginDir": "/"}
    return go_json({"server_connection": connection, "args": {"hookContext": context}})


def _modules_of_hook(tmp_path: Path, stdin: bytes) -> dict[str, str | None]:
    """The modules a hook process imported, on the recording path only (no wake-up)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    write_snapshot(data, {}, configured=False)  # no wake-up: the recording path only
    return modules_of_hook(tmp_path, stdin, data)


def test_an_entity_hook_costs_no_more_imports_than_a_scene_hook(tmp_path: Path) -> None:
    scene = _modules_of_hook(tmp_path, _stdin("Scene.Update.Post", 3, {"id": "3"}, ["title"]))
    for stdin in (
        _stdin("Performer.Update.Post", 7, PERFORMER_INPUT, ["name", "id"]),
        _stdin("Tag.Merge.Post", 6, {"source": ["4"], "destination": "6"}, None),
    ):
        entity = _modules_of_hook(tmp_path, stdin)
        assert "plugin.entity_hooks" in entity  # the entity handler really ran
        assert set(entity) - set(scene) == {"plugin.entity_hooks"}
        third_party = [n for n, f in entity.items() if f and "-packages" in f]
        assert third_party == []
        assert not {"dataclasses", "logging", "validation.config"} & set(entity)
