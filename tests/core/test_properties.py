"""Property tests: diff after apply is empty; encoded edits keep the size limit and round-trip."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plex.diff import EditPlan, FieldChange, PlexItemState, TagChange, diff_item
from plex.edit_encoding import encode_edit, wire_length
from tests.core.helpers import apply_plan, make_scene
from validation.desired import SCALAR_FIELDS, TAG_KINDS, DesiredItem, DesiredOptions, build_desired
from validation.fingerprint import fingerprint_value

NAMES = [
    "A",
    "a",
    "B",
    "Outdoor",
    "OUTDOOR",
    "x,y",
    "100% Pure",
    'Say "hi"',
    "😀",
    "Ünï",
    "עברית",
    "Tom & Jerry",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
name_lists = st.lists(st.sampled_from(NAMES), max_size=6)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenes(draw: Any) -> dict[str, Any]:
    studio = draw(
        st.one_of(
            st.none(), st.sampled_from(NAMES).map(lambda n: {"name": n, "parent_studio": None})
        )
    )
    return make_scene(
        title=draw(st.one_of(st.just(""), st.sampled_from(NAMES), TEXT)),
        details=draw(st.one_of(st.none(), TEXT)),
        date=draw(st.sampled_from([None, "2021", "2021-03", "2021-03-04", "bad"])),
        rating100=draw(st.one_of(st.none(), st.integers(1, 100))),
        studio=studio,
        performers=[{"name": n} for n in draw(name_lists)],
        tags=[{"name": n} for n in draw(name_lists)],
        groups=[{"group": {"name": n}} for n in draw(name_lists)],
    )


@st.composite
def options(draw: Any) -> DesiredOptions:
    flags = draw(
        st.fixed_dictionaries(
            {f: st.booleans() for f in ("skip_title", "skip_summary", "skip_date", "skip_tags")}
        )
    )
    return DesiredOptions(
        **flags,
        exclude_tags=frozenset(
            n.casefold() for n in draw(st.lists(st.sampled_from(NAMES), max_size=2))
        ),
        content_rating=draw(st.sampled_from(["", "R", "de/16"])),
    )


PLEX_VALUES = {
    "title": st.one_of(st.none(), st.sampled_from(NAMES), TEXT),
    "summary": st.one_of(st.none(), TEXT),
    "originallyAvailableAt": st.sampled_from([None, "", "2021-03-04", "1999-12-31"]),
    "year": st.sampled_from([None, "", "2021", "1999"]),
    "userRating": st.sampled_from([None, "", "8", "8.0", "3.3", "10"]),
    "studio": st.one_of(st.none(), st.sampled_from(NAMES)),
    "contentRating": st.sampled_from([None, "R", "PG"]),
}


@st.composite
def plex_states(draw: Any) -> PlexItemState:
    fields = {name: draw(strategy) for name, strategy in PLEX_VALUES.items()}
    tags = {kind: draw(name_lists) for kind in TAG_KINDS}
    locks = draw(st.frozensets(st.sampled_from([*SCALAR_FIELDS, *TAG_KINDS])))
    return PlexItemState(1005, 2, fields, tags, locks)


@st.composite
def previous_fingerprints(draw: Any) -> dict[str, str]:
    chosen = draw(st.lists(st.sampled_from([*SCALAR_FIELDS, *TAG_KINDS]), unique=True))
    return {
        name: fingerprint_value(draw(st.one_of(st.sampled_from(NAMES), st.none())))
        for name in chosen
    }


@SETTINGS
@given(
    scenes(),
    options(),
    plex_states(),
    previous_fingerprints(),
    st.booleans(),
    st.sampled_from(["append", "replace"]),
)
def test_diff_after_apply_is_empty(
    scene: dict,
    opts: DesiredOptions,
    state: PlexItemState,
    previous: dict,
    preserve: bool,
    mode: str,
) -> None:
    desired = build_desired(scene, opts)
    assume(isinstance(desired, DesiredItem))
    assert isinstance(desired, DesiredItem)
    plan = diff_item(state, desired, previous, preserve)
    after = apply_plan(state, plan, tag_mode=mode)
    again = diff_item(after, desired, plan.new_fingerprints, preserve)
    assert again.is_empty, again
    assert dict(again.new_fingerprints) == dict(plan.new_fingerprints)
    # no managed field is left unlocked unless it was preserved or is empty
    for name, value in desired.managed().items():
        if name not in plan.preserved and value not in (None, ()):
            assert name in after.locked


# --- encoding ------------------------------------------------------------------------------

tag_changes = st.builds(
    TagChange,
    kind=st.sampled_from(TAG_KINDS),
    add=st.lists(TEXT.filter(str.strip), max_size=30, unique_by=str.casefold).map(tuple),
    remove=st.lists(TEXT.filter(str.strip), max_size=30).map(tuple),
)
text_fields = ("title", "summary", "studio", "contentRating")


@st.composite
def plans(draw: Any) -> EditPlan:
    fields = tuple(
        FieldChange(name, draw(st.one_of(st.none(), TEXT)))
        for name in draw(st.lists(st.sampled_from(text_fields), unique=True))
    )
    tags = tuple({t.kind: t for t in draw(st.lists(tag_changes, max_size=3))}.values())
    locks = tuple(draw(st.lists(st.sampled_from(["thumb", "art", "year"]), unique=True)))
    return EditPlan(draw(st.integers(1, 10**7)), 2, fields, tags, lock_only=locks)


def _base(key: str) -> str:
    return key.split("[")[0].split(".")[0]


@SETTINGS
@given(plans(), st.integers(min_value=200, max_value=3000))
def test_encoded_queries_respect_limit_unless_one_unit_alone_is_larger(
    plan: EditPlan, limit: int
) -> None:
    queries = encode_edit(plan, max_bytes=limit)
    assert (queries == []) == plan.is_empty
    values: dict[str, str] = {}
    adds: dict[str, list[tuple[int, str]]] = {}
    removes: dict[str, list[str]] = {}
    locks: set[str] = set()
    for query in queries:
        pairs = parse_qsl(query, keep_blank_values=True)
        assert ("id", str(plan.rating_key)) in pairs and ("type", "1") in pairs
        if wire_length(query) > limit:
            own = [(k, v) for k, v in pairs if k not in ("id", "type")]
            assert len({_base(k) for k, _ in own}) == 1, own
            removal = [v for k, v in own if k.endswith("[].tag.tag-")]
            has_adds = any(k.endswith("].tag.tag") for k, _ in own)
            if removal:
                assert not has_adds and removal[0].count(",") == 0
        for key, value in pairs:
            if key.endswith(".locked"):
                locks.add(key[:-7])
            elif key.endswith(".value"):
                values[key[:-6]] = value
            elif key.endswith("[].tag.tag-"):
                removes.setdefault(_base(key), []).extend(unquote(v) for v in value.split(","))
            elif key.endswith(".tag.tag"):
                adds.setdefault(_base(key), []).append(
                    (int(key.split("[")[1].split("]")[0]), value)
                )
    assert values == {c.field: c.value or "" for c in plan.fields}
    assert {k: [v for _, v in sorted(items)] for k, items in adds.items()} == {
        t.kind: list(t.add) for t in plan.tags if t.add
    }
    assert {k: sorted(v) for k, v in removes.items()} == {
        t.kind: sorted(set(t.remove)) for t in plan.tags if t.remove
    }
    assert locks == set(plan.locks)
