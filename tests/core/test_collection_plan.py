"""The pure collection rules (plex.collection_plan, issue 19): which entity a collection shows,
the group order, the moves that reach it, and the hand-edit checks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plex.collection_plan import (
    CollectionRef,
    choose_source,
    clean_details,
    desired_order,
    fingerprint,
    hand_edited,
    member_key,
    order_kept,
    plan_moves,
    scene_refs,
)


def _apply(current: list[int], moves: list[tuple[int, int | None]]) -> list[int]:
    """Plex's `move?after=` as the emulator models it: right after `after`, else first."""
    order = list(current)
    for item, after in moves:
        order.remove(item)
        order.insert(order.index(after) + 1 if after is not None else 0, item)
    return order


@given(st.permutations(list(range(12))), st.permutations(list(range(12))))
def test_moves_reach_the_desired_order_in_at_most_len_minus_one(
    current: list[int], desired: list[int]
) -> None:
    moves = plan_moves(current, desired)
    assert _apply(current, moves) == desired
    assert len(moves) <= len(current) - 1


def test_moves_keep_the_longest_run_in_place() -> None:
    assert plan_moves([1, 2, 3, 4], [1, 2, 3, 4]) == []
    assert plan_moves([2, 3, 4, 1], [1, 2, 3, 4]) == [(1, None)]
    assert plan_moves([1, 2, 4, 3], [1, 2, 3, 4]) == [(3, 2)]  # one move, not three


def _scene(sid: int, index: object, date: str | None, title: str) -> dict[str, object]:
    return {
        "id": str(sid),
        "date": date,
        "title": title,
        "groups": [{"group": {"id": "7", "name": "G"}, "scene_index": index}],
    }


def test_group_order_is_scene_index_then_date_then_title() -> None:
    scenes = {
        1: _scene(1, 2, "2020-01-01", "b"),
        2: _scene(2, 1, "2021-01-01", "z"),
        3: _scene(3, None, "2019-01-01", "a"),  # no index: after every indexed scene
        4: _scene(4, 2, "2019-06-01", "c"),  # same index: the earlier date first
        5: _scene(5, None, "2019-01-01", "0 A"),  # same date: by title
    }
    members = {str(s): [*member_key(sc, 7), [100 + s]] for s, sc in scenes.items()}
    assert desired_order(members, [101, 102, 103, 104, 105, 999]) == [
        102,
        104,
        101,
        105,
        103,
        999,  # an item added by hand stays, after ours
    ]
    # A member no longer in Plex's collection is simply left out.
    assert desired_order(members, [103, 101]) == [101, 103]


def test_scene_refs_follow_the_pushed_names_and_a_group_wins_a_shared_name() -> None:
    scene = {
        "studio": {"id": "4", "name": "Big", "parent_studio": {"id": "1", "name": "Parent"}},
        "groups": [{"group": {"id": "9", "name": "big"}, "scene_index": 1}],
    }
    refs = scene_refs(scene, ["Big", "Parent"])
    assert refs == [
        CollectionRef("studio", 4, "Big"),
        CollectionRef("studio", 1, "Parent"),
        CollectionRef("group", 9, "big"),
    ]
    assert scene_refs(scene, ["Parent"]) == [CollectionRef("studio", 1, "Parent")]
    shared = [r for r in refs if r.key == "big"]
    assert choose_source(shared) == (CollectionRef("group", 9, "big"), True)
    assert choose_source([refs[1]]) == (refs[1], False)


def test_hand_edits_are_told_from_the_baseline() -> None:
    assert not hand_edited("anything", None)  # never written: nothing to protect
    assert not hand_edited("ours", fingerprint("ours"))
    assert hand_edited("theirs", fingerprint("ours"))
    assert not order_kept([1, 2, 3], None)
    assert not order_kept([1, 2, 3, 9], [1, 2, 3])  # Plex appended a new item
    assert not order_kept([1, 3], [1, 2, 3])  # an item left
    assert order_kept([2, 1, 3], [1, 2, 3])  # reordered by hand


def test_a_long_synopsis_is_cut_to_fit_one_edit() -> None:
    from urllib.parse import quote

    long = "Épisode 🎬 " * 2000  # 20,000 characters, three bytes or more each when encoded
    cut = clean_details(long)
    assert cut and long.startswith(cut) and len(quote(cut, safe="")) <= 8 * 1024 - 1024
    assert clean_details("short\r\ntext") == "short\ntext"
    assert clean_details(None) == ""
