"""Covers (SPEC §2.5): never a placeholder or a login page; a pending cover waits; the real
cover is uploaded once, then never again while its bytes stay the same."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from base.status import SceneStatus
from sandbox.httpd import Fault
from sandbox.images import STASH_LOGIN_HTML, jpeg_bytes
from tests.sync.conftest import ART, ARTS_GET, EDIT, FETCH, POSTER, POSTERS_GET, SyncWorld
from tests.sync.helpers import only_item, pick

SCREENSHOT = "image:scene-screenshot"


def test_placeholder_is_never_uploaded_and_the_real_cover_is_once_it_exists(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=8, frac_no_cover=0.3)
    sid = pick(world, cover=False)
    item = only_item(world, sid)
    before = (item.selected_poster, item.selected_art, list(item.posters))

    first = world.run([sid])

    outcome = first.outcomes[sid]
    assert outcome.status is SceneStatus.COVER_PENDING
    assert "svg" in outcome.message.lower()
    assert first.plex[POSTER] == first.plex[ART] == 0
    assert (item.selected_poster, item.selected_art, list(item.posters)) == before
    assert first.plex[EDIT] == 1 and "title" in item.locked  # the fields went out anyway

    again = world.run([sid])  # still pending: fields unchanged, cover asked again
    assert again.outcomes[sid].status is SceneStatus.COVER_PENDING and again.plex == {FETCH: 1}

    # Stash generates the cover later; updated_at (and so the URL) need not change.
    cover = jpeg_bytes("late cover")
    world.generated.stash.scenes[sid].cover = cover
    done = world.run([sid])

    sha1 = hashlib.sha1(cover).hexdigest()
    assert done.outcomes[sid].status is SceneStatus.SYNCED
    # Issue 15: each upload is checked applied (one list GET) and the written item is
    # fetched once more after the writes (its post-write baseline).
    assert done.plex == {FETCH: 2, POSTER: 1, ART: 1, EDIT: 1, POSTERS_GET: 1, ARTS_GET: 1}
    assert item.selected_poster == f"upload://posters/{sha1}"
    assert item.selected_art == f"upload://arts/{sha1}"
    assert {"thumb", "art"} <= item.locked

    after = world.run([sid])
    assert after.outcomes[sid].status is SceneStatus.UNCHANGED
    assert after.plex == {FETCH: 1} and SCREENSHOT not in after.stash


def test_a_login_page_instead_of_the_cover_is_never_uploaded(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=9)
    sid = pick(world)
    world.stash.knobs.add_fault(
        Fault("body", body=STASH_LOGIN_HTML, path_regex=rf"^/scene/{sid}/screenshot", count=None)
    )

    run = world.run([sid])

    outcome = run.outcomes[sid]
    assert outcome.status is SceneStatus.COVER_PENDING
    assert run.stash["fault:body"] == 1  # the login page was served (and refused)
    assert run.plex[POSTER] == run.plex[ART] == 0
    assert not only_item(world, sid).posters


def test_stash_failing_to_serve_the_cover_is_retried_after_the_fields(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=10)
    sid = pick(world)
    world.stash.knobs.add_fault(Fault("status", status=503, path_regex=r"/screenshot", count=1))

    run = world.run([sid])

    outcome = run.outcomes[sid]
    assert outcome.status is SceneStatus.STASH_UNAVAILABLE
    assert run.plex[EDIT] == 1 and run.plex[POSTER] == 0
    state = world.sync_state.get(sid)
    assert state is not None and "title" in state.fingerprints
    assert state.updated_at is None  # this version is not fully synced yet
    assert world.sync_state.sync_timestamps()[sid] == 0.0

    again = world.run([sid])
    assert again.outcomes[sid].status is SceneStatus.SYNCED
    # images and their locks only; each upload checked applied, then the post-write fetch
    assert again.plex == {FETCH: 2, POSTER: 1, ART: 1, EDIT: 1, POSTERS_GET: 1, ARTS_GET: 1}
    assert world.sync_state.get(sid).updated_at is not None  # type: ignore[union-attr]
