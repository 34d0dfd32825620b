"""Hostile cover answers from Stash through a whole Sync All with the real worker (issue 9, 4b).

Stash's screenshot route answers some scenes with HTML, SVG, empty, garbage, 50 MB (declared
or not), truncated, slow or mislabelled bodies. Fields still sync; nothing that is not a
raster image is uploaded as a poster; an unusable cover is a `wait` ("cover pending"), a
broken download a retry, each with one line naming the scene; a 50 MB body is never read to
its end; once Stash answers properly again, every scene gets its cover and nothing is lost.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from demo.check import item_problems
from sandbox.httpd import Fault
from sandbox.images import STASH_DEFAULT_SVG, STASH_LOGIN_HTML, jpeg_bytes
from stash.images import DEFAULT_MAX_IMAGE_BYTES
from sync_queue.workqueue import WorkQueue
from tests.reliability.integrity import failed_ids, queued_ids
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

FIFTY_MB_LEN = 4 + 50 * 1024 * 1024
SOCKET_BUFFERS = 16 * 1024 * 1024  # loopback send + receive buffers, generously
UPLOADS = ("POST /library/metadata/{rk}/posters", "POST /library/metadata/{rk}/arts")


@dataclass(frozen=True)
class Answer:
    """One hostile screenshot answer and what the scene must end as."""

    body: bytes
    content_type: str
    expect: str  # "wait" (cover pending), "retry" (download broke) or "synced"
    length: int | None = None
    drip_s: float = 0.0
    cover: bool = False  # the body is the scene's real cover (set in Stash too)


def _answers(rng: random.Random) -> dict[str, Answer]:
    garbage = bytes(rng.randrange(256) for _ in range(4096))
    fifty_mb = b"\xff\xd8\xff\xe0" + bytes(FIFTY_MB_LEN - 4)  # a JPEG start, then 50 MB
    big_cover = jpeg_bytes("slow") + bytes(rng.randrange(256) for _ in range(300_000))
    return {
        "HTML page": Answer(STASH_LOGIN_HTML, "text/html; charset=utf-8", "wait"),
        "SVG placeholder": Answer(STASH_DEFAULT_SVG, "image/svg+xml", "wait"),
        "SVG labelled JPEG": Answer(STASH_DEFAULT_SVG, "image/jpeg", "wait"),
        "HTML labelled PNG": Answer(b"\n  " + STASH_LOGIN_HTML, "image/png", "wait"),
        "empty body": Answer(b"", "image/jpeg", "wait"),
        "garbage labelled JPEG": Answer(garbage, "image/jpeg", "wait"),
        "garbage octet-stream": Answer(garbage, "application/octet-stream", "wait"),
        "50 MB declared": Answer(fifty_mb, "image/jpeg", "wait"),
        "50 MB unannounced": Answer(fifty_mb, "image/jpeg", "wait", length=-1),
        "truncated JPEG": Answer(big_cover, "image/jpeg", "retry", length=len(big_cover) * 2),
        "slow JPEG": Answer(big_cover, "image/jpeg", "synced", drip_s=0.02, cover=True),
        "JPEG as octet-stream": Answer(
            jpeg_bytes("ok"), "application/octet-stream", "synced", cover=True
        ),
        "JPEG as text/plain": Answer(jpeg_bytes("ok2"), "text/plain", "synced", cover=True),
    }


def _uploads_to(world: ChaosWorld, rating_keys: set[int]) -> int:
    return sum(
        1
        for r in world.plex.log.records
        if r.route in UPLOADS and int(r.path.split("/")[3]) in rating_keys
    )


def test_hostile_cover_answers_never_become_posters_and_nothing_is_lost(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    copies = pick(1, 4)
    scenes = pick(60, 400)
    world = chaos_world(scenes=scenes, seed=43)
    rng = random.Random(43)
    truth = world.generated.truth
    candidates = [
        sid
        for sid in world.matchable()
        if sid not in truth.no_cover and len(truth.scenes[sid].targets) == 1
    ]
    answers = _answers(rng)
    cases = [name for name in answers for _ in range(copies)]
    chosen = dict(zip(rng.sample(candidates, len(cases)), cases, strict=True))
    faults: dict[int, Fault] = {}
    for sid, name in chosen.items():
        answer = answers[name]
        if answer.cover:
            with world.generated.stash.lock:
                world.generated.stash.scenes[sid].cover = answer.body
        faults[sid] = world.stash.knobs.add_fault(
            Fault(
                "body",
                body=answer.body,
                content_type=answer.content_type,
                length=answer.length,
                drip_s=answer.drip_s,
                path_regex=f"^/scene/{sid}/screenshot$",
                count=None,
            )
        )
    target = {sid: truth.scenes[sid].targets[0][1] for sid in chosen}
    posters_before = {
        sid: (
            world.plex.library.items[rk].selected_poster,
            world.plex.library.items[rk].selected_art,
        )
        for sid, rk in target.items()
    }
    tally.area = "hostile"
    tally.scenario = (
        f"{len(chosen)} hostile cover answers (HTML, SVG, empty, garbage, 50 MB, truncated, "
        f"slow, mislabelled) in a {scenes}-scene Sync All"
    )

    run = world.run("sync_all")
    assert run.exit_code == 0 and run.error is None, run.stderr[-3000:]
    tally.faults = sum(1 for r in world.stash.log.records if r.route == "fault:body")
    assert tally.faults >= len(chosen)

    expect = {
        kind: {s for s, n in chosen.items() if answers[n].expect == kind}
        for kind in ("wait", "retry", "synced")
    }
    held = expect["wait"] | expect["retry"]
    world.measure(tally, expect_queued=held)
    assert tally.clean, tally.summary()
    assert not failed_ids(world.data_dir) & set(chosen)
    assert held <= queued_ids(world.data_dir)
    for sid in held:
        item = world.plex.library.items[target[sid]]
        # Fields synced; the poster is untouched and nothing was uploaded for it.
        assert item_problems(item, world.generated, sid, images=False) == [], sid
        assert (item.selected_poster, item.selected_art) == posters_before[sid], chosen[sid]
        assert _uploads_to(world, {target[sid]}) == 0, chosen[sid]
    # A wait is the queue's, with its reason (shown by the status task); retries are one
    # line of the run summary (Stash's trouble, in words), each scene's detail in the queue.
    with WorkQueue(world.data_dir) as queue:
        rows = {row.scene_id: row for row in queue.items()}
    for sid in expect["wait"]:
        assert "cover pending" in (rows[sid].wait_reason or ""), (chosen[sid], rows[sid])
    retried = [m for m in run.messages("info") if " to be retried: Stash " in m]
    assert len(retried) == (1 if expect["retry"] else 0), run.messages()
    for sid in expect["retry"]:
        assert "cover" in (rows[sid].last_error or ""), (chosen[sid], rows[sid])
    # A 50 MB body is refused by its declared size or cut at the cap: never read to its end.
    for sid, name in chosen.items():
        if name.startswith("50 MB"):
            sent = faults[sid].sent  # the cap plus what the sockets' buffers took
            assert sent < DEFAULT_MAX_IMAGE_BYTES + SOCKET_BUFFERS < FIFTY_MB_LEN, (name, sent)

    # Stash answers properly again: a Sync All brings every held scene in step, covers too.
    world.stash.knobs.clear_faults()
    again = world.run("sync_all")
    assert again.exit_code == 0, again.stderr[-2000:]
    after = Tally(area="hostile", scenario="after the faults cleared")
    world.measure(after)
    assert after.clean, after.summary()
    assert not queued_ids(world.data_dir) & set(chosen)
