"""Hostile stdin: generated, mangled and oversized invocations get one clear line, never a crash.

Property-based over the real stdin shape (reference/stash.md §2.1) with wrong types at every
level, in-process for speed; then the nastiest bytes through the real entry script as Stash
starts it; then hostile runs interleaved with real edits in a live sandbox, settled and
measured: nothing recorded for invalid input, nothing lost, nothing written wrongly.
Over ~400 lines on purpose: the catalogue of hostile invocations reads best as one list.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.dispatch import ENTITY_TRIGGERS
from plugin.invocation import MAX_ID
from sandbox.harness import REPO_ROOT, PluginHarness, go_json
from sandbox.inprocess import run_in_process
from sandbox.secrets import distinctive
from tests.reliability import scale
from tests.reliability.hostile_support import (
    Work,
    closed_port,
    contract_problems,
    digest,
    fresh_copy,
    seed_work,
    work_of,
)
from tests.reliability.integrity import data_dir_problems
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

SCENE_TRIGGERS = ["Scene.Create.Post", "Scene.Update.Post", "Scene.Destroy.Post"]
# Modes that never discard work on valid input (Clear Queue etc. are not hostile when valid).
SAFE_MODES = ["status", "process_queue", "sync_recent", "reconcile_recent", "preview_gaps"]
PORT = closed_port()
# Hosts that never need DNS (no waiting on a resolver) and never reach another process.
HOSTS = ["0.0.0.0", "127.0.0.1", "::", "[::1]", "", "ev il\r\nHost: x", "a" * 300, "[", "::1%lo"]
COOKIE = distinctive("HostileCookie")

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
junk = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
HOSTILE_IDS = [0, -1, MAX_ID, MAX_ID + 1, 2**64, 10**30, "²", "¹²", "٣", " 7 ", "9" * 5000]
HOSTILE_IDS += ["0x10", "1e3", "", 2.5, True]
ids = st.one_of(
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=1, max_value=400).map(str),
    st.sampled_from(HOSTILE_IDS),
    st.text(alphabet="0123456789 ²x-.", max_size=22),
    junk,
)
bulk_ids = st.fixed_dictionaries({"ids": st.lists(ids, max_size=25)})
hook_input = st.one_of(
    bulk_ids,
    bulk_ids,  # bulk edits carry the most ids, so the most junk
    st.lists(st.one_of(st.fixed_dictionaries({"id": ids}), ids), max_size=8),
    st.fixed_dictionaries({"id": ids, "title": st.text(max_size=40)}),
    st.none(),
    junk,
)
ODD_TRIGGERS = ["Gallery.Update.Post", " Scene.Update.Post ", "scene.update.post", "\x00", ""]
ODD_TRIGGERS += ["Scene.Update.Post\n", "é" * 2000, "Scene", "Scene.Update.Post; rm -rf /"]
trigger = st.sampled_from([*SCENE_TRIGGERS * 6, *ENTITY_TRIGGERS, *ODD_TRIGGERS])
mode = st.one_of(
    st.sampled_from([*SAFE_MODES, " status ", "STATUS", "sync_everything", "purge_failed"]),
    st.text(max_size=20),
)
cookie = st.fixed_dictionaries(
    {"Value": st.sampled_from([COOKIE, COOKIE + "\r\nX-Evil: 1", "", 12345, None, [COOKIE]])},
    optional={"Name": st.sampled_from(["session", "", "se;ss=ion", None, 7])},
)
# Never a port another process listens on: a wake-up must not reach another test's (or a
# `sandbox serve`) Stash. Ports the plugin cannot read fall back to Stash's 9999, so they
# only come with hosts that cannot be dialled at all.
port = st.sampled_from([PORT, PORT, str(PORT), -1, 0, 65536, 2**70])
junk_port = st.sampled_from(["abc", None, 1.5, [1], "", True])
UNDIALABLE = ["a" * 300, "ev il\r\nHost: x", "["]
optional_connection = {
    "Scheme": st.sampled_from(["http", "https", "ftp", "", None, 1]),
    "SessionCookie": cookie | junk,
    "Dir": junk,
    "PluginDir": junk,
}
connection = st.one_of(
    st.fixed_dictionaries(
        {"Host": st.sampled_from([*HOSTS, None, 5, ["x"]]), "Port": port},
        optional=optional_connection,
    ),
    st.fixed_dictionaries(
        {"Host": st.sampled_from(UNDIALABLE), "Port": junk_port}, optional=optional_connection
    ),
)
# Where one wrong type goes (None: the shape stays right; only the values are hostile).
LEVELS = [None, None, None, None, "document", "server_connection", "args", "hookContext"]
LEVELS += ["type", "id", "input", "inputFields", "mode", "days"]


@st.composite
def document(draw: st.DrawFn) -> object:
    """Stash's stdin shape with hostile values, and at most one level of the wrong type."""
    level = draw(st.sampled_from(LEVELS))
    args: dict[str, object]
    if draw(st.booleans()) or level in ("hookContext", "type", "id", "input", "inputFields"):
        hook_id = draw(st.one_of(st.integers(min_value=1, max_value=400), ids))  # Stash: an int
        context: dict[str, object] = {"type": draw(trigger), "id": hook_id}
        if draw(st.booleans()):
            context["input"] = draw(hook_input)
        if draw(st.booleans()):
            context["inputFields"] = draw(st.lists(st.text(max_size=8), max_size=4))
        if level in context or level in ("input", "inputFields"):
            context[str(level)] = draw(junk)
        args = {"hookContext": draw(junk) if level == "hookContext" else context, "mode": "hook"}
    else:
        args = {"mode": draw(junk) if level == "mode" else draw(mode)}
        if level == "days" or draw(st.booleans()):
            args["days"] = draw(junk)
    doc: dict[str, object] = {"server_connection": draw(connection), "args": args}
    if level in ("server_connection", "args"):
        doc[str(level)] = draw(junk)
    return draw(junk) if level == "document" else doc


mangling = st.sampled_from(["go"] * 6 + ["json", "bom", "truncate", "bad byte", "trailing", "nul"])


def _encode(doc: object, how: str, cut: int) -> bytes:
    raw = go_json(doc) if how != "json" else json.dumps(doc).encode()
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    if how == "truncate":
        return raw[: cut % max(1, len(raw))]
    if how == "bad byte":
        at = cut % (len(raw) + 1)
        return raw[:at] + b"\xff\xc3" + raw[at:]
    if how == "trailing":
        return raw + b" {}"
    if how == "nul":
        return raw + b"\x00"
    return raw


def _check_work(before: Work, after: Work, outcome_code: int, output: object) -> list[str]:
    """Invalid input records nothing; valid input loses nothing and records what it says."""
    problems: list[str] = []
    if after.failed != before.failed:
        problems.append(f"failed list changed: {sorted(before.failed ^ after.failed)[:10]}")
    if not before.pending_scenes <= after.pending_scenes:
        problems.append(f"work lost: {sorted(before.pending_scenes - after.pending_scenes)[:10]}")
    if outcome_code != 0 and after.pending_scenes != before.pending_scenes:
        added = sorted(after.pending_scenes - before.pending_scenes)
        problems.append(f"a failed run recorded work: {added[:10]}")
    if outcome_code == 0 and isinstance(output, dict) and "scene_ids" in output:
        missing = set(output["scene_ids"]) - after.pending_scenes
        if missing:
            problems.append(f"reported as recorded but not pending: {sorted(missing)[:10]}")
    return problems


def test_generated_stdin_gets_one_clear_line_and_leaves_state_intact(
    tmp_path: Path, tally: Tally
) -> None:
    examples = scale.pick(50, 600)
    tally.area = "hostile"
    tally.scenario = f"Generated stdin (hypothesis, wrong types at every level) x{examples:,}"
    template = tmp_path / "template"
    before = seed_work(template, inbox=[1, 2, 3], queued=[10, 11], failed=[20])
    untouched = digest(template)
    data_dir = fresh_copy(template, tmp_path / "run")
    found: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(doc=document(), how=mangling, cut=st.integers(min_value=0, max_value=10**6))
    def check(doc: object, how: str, cut: int) -> None:
        raw = _encode(doc, how, cut)
        outcome = run_in_process(raw, data_dir, settings={})
        tally.faults += 1
        problems = contract_problems(outcome)
        if digest(data_dir) != untouched:  # the run wrote: check every store, then start over
            problems += _check_work(before, work_of(data_dir), outcome.exit_code, outcome.output)
            problems += data_dir_problems(data_dir)
            fresh_copy(template, data_dir)
        if problems:
            found.append(f"{raw[:160]!r}: {problems}")
        assert not problems, found[-1]

    check()  # any broken contract or lost work fails inside, with the input that did it
    assert not found and tally.clean, tally.summary()
    assert tally.faults >= examples


# (name, stdin, exit status, what the one error line says; None: exit 0)
CATALOGUE: list[tuple[str, bytes, int, str | None]] = []


def _doc(args: object, conn: object = None) -> bytes:
    server = {"Host": "127.0.0.1", "Port": PORT} if conn is None else conn
    return go_json({"server_connection": server, "args": args})


def _hook(context: object, conn: object = None) -> bytes:
    return _doc({"hookContext": context, "mode": "hook"}, conn)


# Run as a real process even in the fast subset; `make chaos` runs every entry that way.
NASTIEST = {"nested 200k deep", "host with CRLF"}


def _cut_mid_character() -> bytes:
    raw = _hook({"type": "Scene.Update.Post", "id": 3, "input": {"title": "Émilie"}})
    return raw[: raw.index("É".encode()) + 1]  # Stash died while writing: half a character


def _catalogue() -> list[tuple[str, bytes, int, str | None]]:
    update = "Scene.Update.Post"
    return [
        ("hook id 2^64", _hook({"type": update, "id": 2**64}), 1, "hookContext.id is out of range"),
        ("hook id 1.5", _hook({"type": update, "id": 1.5}), 1, "must be a whole number"),
        ("hook id '²'", _hook({"type": update, "id": "²"}), 1, "must be a number, got a string"),
        ("hook id 5,000 digits", _hook({"type": update, "id": "9" * 5000}), 1, "out of range"),
        ("hook id -7", _hook({"type": update, "id": -7}), 1, "carries no scene id"),
        ("input null", _hook({"type": update, "id": 0, "input": None}), 1, "carries no scene id"),
        ("nested 200k deep", b"[" * 200_000, 1, "nested too deeply"),
        ("NaN in args", b'{"server_connection":{},"args":{"mode":NaN}}', 1, "got a number"),
        ("two documents", _doc({"mode": "status"}) + _doc({"mode": "status"}), 1, "not JSON"),
        ("cut mid-character", _cut_mid_character(), 1, "stdin is not UTF-8 text"),
        (
            "lone surrogate mode",
            b'{"server_connection":{},"args":{"mode":"\\ud800"}}',
            1,
            "unknown task mode",
        ),
        ("mode with NUL", _doc({"mode": "status\x00; rm -rf /"}), 1, "unknown task mode"),
        ("args a list", _doc(["mode", "status"]), 1, "args must be an object, got an array"),
        ("mode a number", _doc({"mode": 3}), 1, "args.mode must be a string, got a number"),
        (
            "hookContext a string",
            _doc({"hookContext": update}),
            1,
            "must be an object, got a string",
        ),
        (
            "server_connection a list",
            go_json({"server_connection": [], "args": {}}),
            1,
            "no server_connection",
        ),
        (
            "days 10^400",
            _doc({"mode": "purge_failed", "days": 10**400}),
            1,
            "days must be a number",
        ),
        (
            "bulk junk + valid",
            _hook({"type": update, "id": 5, "input": {"ids": ["5", "1" * 50, 2**64, "²", "6"]}}),
            0,
            None,
        ),
        (
            "host with CRLF",
            _hook({"type": update, "id": 8}, {"Host": "a\r\nb", "Port": PORT}),
            0,
            None,
        ),
        (
            "cookie with CRLF",
            _hook(
                {"type": update, "id": 9},
                {
                    "Host": "127.0.0.1",
                    "Port": PORT,
                    "SessionCookie": {"Value": COOKIE + "\r\nX: y"},
                },
            ),
            0,
            None,
        ),
    ]


def test_catalogue_of_nasty_stdin_through_the_real_entry_script(
    tmp_path: Path, tally: Tally
) -> None:
    tally.area = "hostile"
    catalogue = _catalogue()
    bulk = scale.pick(5_000, 120_000)
    big = _huge_bulk_hook(bulk)
    tally.scenario = (
        f"Nasty stdin catalogue x{len(catalogue) + 2} (subprocess, up to {len(big) >> 20} MB)"
    )
    template = tmp_path / "template"
    before = seed_work(template, inbox=[1, 2, 3], queued=[10, 11], failed=[20])
    harness = PluginHarness(plugin_dir=REPO_ROOT, data_dir=tmp_path / "run")
    found: list[str] = []  # broken contract: not one clear line, wrong status, a crash
    lost: list[str] = []  # work lost or recorded for invalid input, unsound files
    for name, raw, code, message in catalogue:
        fresh_copy(template, harness.data_dir)
        if scale.CHAOS or name in NASTIEST:
            outcome = harness.run({}, raw_stdin=raw, timeout=60)
        else:  # the same entry point in this process (make test's time budget)
            outcome = run_in_process(raw, harness.data_dir, settings={})
        tally.faults += 1
        problems = contract_problems(outcome)
        if outcome.exit_code != code or (message and message not in (outcome.error or "")):
            problems.append(f"exit {outcome.exit_code}, error {outcome.error!r}")
        lost += [
            f"{name}: {p}"
            for p in _check_work(
                before, work_of(harness.data_dir), outcome.exit_code, outcome.output
            )
            + data_dir_problems(harness.data_dir)
        ]
        found += [f"{name}: {p}" for p in problems]
    # Megabytes of not-UTF-8 bytes, and a multi-megabyte bulk edit with junk and duplicates.
    garbage = random.Random(4).randbytes(scale.pick(1, 5) << 20)
    fresh_copy(template, harness.data_dir)
    outcome = harness.run({}, raw_stdin=b"{" + garbage, timeout=60)
    tally.faults += 1
    if outcome.exit_code != 1 or "stdin is not UTF-8 text" not in (outcome.error or ""):
        found.append(f"garbage: exit {outcome.exit_code}, {outcome.error!r}")
    found += [f"garbage: {p}" for p in contract_problems(outcome)]
    broken, missing = _huge_bulk(harness, template, big, bulk, before)
    found += broken
    lost += missing
    tally.faults += 1
    tally.add_lost(lost)
    assert tally.clean, tally.summary()
    assert not found, "\n".join(found[:20])


def _huge_bulk_hook(count: int) -> bytes:
    valid = [str(i) for i in range(1, count + 1)]
    junk_ids: list[object] = ["²", "x", None, -1, 0, 1.5, 2**64, "9" * 5000, {"id": 1}, True]
    hook_input = {
        "ids": valid + valid[: count // 4] + junk_ids,  # a quarter repeated
        "details": "\u202e\x00🎬,\"'\n" * (count * 8),  # a few megabytes of hostile text
    }
    context = {"type": "Scene.Update.Post", "id": 1, "input": hook_input}
    return _hook(context)


def _huge_bulk(
    harness: PluginHarness, template: Path, raw: bytes, count: int, before: Work
) -> tuple[list[str], list[str]]:
    """(broken contract, lost work) of one multi-megabyte bulk edit with junk ids."""
    fresh_copy(template, harness.data_dir)
    outcome = harness.run({}, raw_stdin=raw, timeout=120)
    problems = contract_problems(outcome)
    after = work_of(harness.data_dir)
    expected = set(range(1, count + 1))
    if outcome.exit_code != 0 or not expected <= after.pending_scenes:
        problems.append(
            f"exit {outcome.exit_code}, {len(expected - after.pending_scenes)} ids missing"
        )
    warnings = [m for m in outcome.messages("warning") if "malformed" in m]
    if warnings != ["Scene.Update.Post: ignored 10 malformed scene id(s) in the input"]:
        problems.append(f"malformed-id warnings: {warnings}")
    lost = _check_work(before, after, outcome.exit_code, outcome.output)
    lost += data_dir_problems(harness.data_dir)
    return [f"huge bulk: {p}" for p in problems], [f"huge bulk: {p}" for p in lost]


def test_hostile_runs_between_real_edits_lose_nothing(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    """A live sandbox (Stash auth on): valid hooks for some scenes, hostile stdin between
    them through the same harness; after one settle every edited scene is in step."""
    scenes = scale.pick(30, 300)
    edited_count = scale.pick(2, 30)
    tally.area = "hostile"
    world = chaos_world(scenes=scenes, seed=11)
    rng = random.Random(11)
    edited = rng.sample(world.matchable(), edited_count)
    catalogue = [raw for _, raw, code, _ in _catalogue() if code == 1]
    tally.scenario = (
        f"Hostile stdin x{edited_count * 2} between {edited_count} real edits, then settle"
    )
    found: list[str] = []
    for scene_id in edited:
        for raw in rng.sample(catalogue, 2):
            outcome = world.harness.run({}, raw_stdin=raw, timeout=60)
            tally.faults += 1
            found += contract_problems(outcome)
            if outcome.exit_code != 1:
                found.append(f"hostile stdin exited {outcome.exit_code}")
        hook = world.harness.run_hook("Scene.Update.Post", scene_id, {"id": str(scene_id)}, ["id"])
        if hook.exit_code != 0 or hook.output != {
            "hook": "Scene.Update.Post",
            "scene_ids": [scene_id],
        }:
            found.append(f"valid hook for {scene_id}: {hook.exit_code} {hook.error}")
    world.stash.wait_idle(120)
    runs = world.settle()
    found += [f"settle: {r.error}" for r in runs if r.exit_code != 0]
    world.measure(tally, scenes=edited)
    assert tally.clean, tally.summary()
    assert not found, "\n".join(found[:20])
    assert world.plex.log.counts(), "the settle wrote nothing to Plex"
