"""Every Plex failure class, produced by the emulator's knobs, through the real client paths.

Each error must be the right project class (decided by status and exception class) and carry
no token anywhere: message, repr, attributes or chained causes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    Stash2PlexError,
)
from plex.client import PlexBadRequest, PlexClient, translate_error
from plex.errors import redact
from sandbox.httpd import Fault
from sandbox.plex_emu import PlexEmulator
from tests.plex.conftest import TOKEN, assert_no_secret


def raised(call: object) -> Stash2PlexError:
    with pytest.raises(Stash2PlexError) as caught:
        call()  # type: ignore[operator]
    assert_no_secret(caught.value)
    return caught.value


def test_bad_token_is_auth_error(emu: PlexEmulator, data_dir: Path) -> None:
    emu.set_token("the-real-one")
    client = PlexClient(emu.url, TOKEN, data_dir=data_dir)
    assert isinstance(raised(client.sections), PlexAuthError)
    error = raised(client.connect)  # plexapi's Unauthorized path
    assert isinstance(error, PlexAuthError) and "plex_token" in str(error)
    assert client.identity().claimed  # /identity needs no token: Plex itself is up


def test_revoked_token_mid_run(emu: PlexEmulator, client: PlexClient) -> None:
    assert client.sections()
    emu.revoke_token()
    assert isinstance(raised(lambda: client.fetch_items([1])), PlexAuthError)


def test_read_only_token_write_is_auth_error(emu: PlexEmulator, data_dir: Path) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    emu.add_read_only_token(TOKEN)
    emu.set_token("owner-token")
    client = PlexClient(emu.url, TOKEN, data_dir=data_dir)
    assert client.fetch_items([item.rating_key])  # reads work with a shared user's token
    error = raised(lambda: client.put_edit(1, f"id={item.rating_key}&studio.value=S&type=1"))
    assert isinstance(error, PlexAuthError) and "403" in str(error)
    assert emu.item(item.rating_key).studio is None


def test_server_down(emu: PlexEmulator, client: PlexClient) -> None:
    assert client.sections()
    emu.server.go_down()
    assert isinstance(raised(client.sections), PlexServerDown)
    assert isinstance(raised(client.identity), PlexServerDown)
    fresh = PlexClient(emu.url, TOKEN)
    assert isinstance(raised(fresh.connect), PlexServerDown)  # plexapi path
    emu.server.come_up()
    assert client.sections()  # the same client recovers once Plex is back


def test_connection_reset_is_server_down(emu: PlexEmulator, client: PlexClient) -> None:
    emu.knobs.add_fault(Fault("reset", path_regex="/library/sections$"))
    assert isinstance(raised(client.sections), PlexServerDown)


def test_hang_with_short_read_timeout(emu: PlexEmulator, data_dir: Path) -> None:
    client = PlexClient(emu.url, TOKEN, data_dir=data_dir, read_timeout=0.3)
    emu.knobs.add_fault(Fault("hang", hang_s=3, path_regex="/library/metadata/"))
    assert isinstance(raised(lambda: client.fetch_items([1])), PlexServerDown)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 599])
def test_transient_statuses(emu: PlexEmulator, client: PlexClient, status: int) -> None:
    emu.knobs.add_fault(Fault("status", status=status, path_regex="/library/sections$"))
    error = raised(client.sections)
    assert isinstance(error, PlexTransient)
    assert error.status == status  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [500, 503, 520])
def test_transient_statuses_through_plexapi(
    emu: PlexEmulator, client: PlexClient, status: int
) -> None:
    # plexapi: BadRequest("(503) ...") for known codes, TypeError for unregistered ones.
    emu.knobs.add_fault(Fault("status", status=status, path_regex="^/$"))
    assert isinstance(raised(client.connect), PlexTransient)


def test_bad_bodies_are_transient(emu: PlexEmulator, client: PlexClient) -> None:
    emu.knobs.add_fault(Fault("body", body=b"<MediaContainer><bad", count=2))
    assert isinstance(raised(client.sections), PlexTransient)
    assert isinstance(raised(client.connect), PlexTransient)  # plexapi ParseError
    emu.knobs.add_fault(Fault("body", body=b"", count=2))
    assert isinstance(raised(client.sections), PlexTransient)
    assert isinstance(raised(client.connect), PlexTransient)  # plexapi: None.attrib


def test_bad_field_is_permanent(emu: PlexEmulator, client: PlexClient) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    query = f"id={item.rating_key}&nosuchfield.value=x&type=1"
    error = raised(lambda: client.put_edit(1, query))
    assert isinstance(error, PlexBadRequest) and error.status == 400  # type: ignore[attr-defined]
    assert "nosuchfield.value=x" in error.request  # type: ignore[attr-defined]
    bad_date = f"id={item.rating_key}&originallyAvailableAt.value=2021-13-45&type=1"
    assert isinstance(raised(lambda: client.put_edit(1, bad_date)), PlexBadRequest)


def test_uri_too_long_is_permanent(emu: PlexEmulator, client: PlexClient) -> None:
    emu.knobs.max_url_length = 200
    error = raised(lambda: client.put_edit(1, "id=1&summary.value=" + "x" * 400 + "&type=1"))
    assert isinstance(error, PlexBadRequest) and error.status == 414  # type: ignore[attr-defined]


def test_unknown_keys(emu: PlexEmulator, client: PlexClient) -> None:
    assert isinstance(raised(lambda: client.fetch_item(424242)), PlexNotFound)
    assert client.fetch_items([424242, 424243]) == {}
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    assert set(client.fetch_items([424242, item.rating_key])) == {item.rating_key}
    assert isinstance(raised(lambda: client.list_page(77, 0, 10)), PlexNotFound)


def test_unusable_url_and_missing_token() -> None:
    with pytest.raises(ConfigError):
        PlexClient("plex.local:32400", TOKEN)
    with pytest.raises(ConfigError):
        PlexClient("http://127.0.0.1:32400", "  ")


def test_translate_error_table() -> None:
    url = f"http://plex:32400/library?X-Plex-Token={TOKEN}"
    cases: list[tuple[BaseException, type[Stash2PlexError]]] = [
        (Unauthorized(f"(401) unauthorized; {url} "), PlexAuthError),
        (BadRequest(f"(403) forbidden; {url} "), PlexAuthError),
        (NotFound(f"(404) not_found; {url} "), PlexNotFound),
        (BadRequest(f"(400) bad_request; {url} "), PlexBadRequest),
        (BadRequest(f"(429) too_many_requests; {url} "), PlexTransient),
        (BadRequest(f"(503) service_unavailable; {url} "), PlexTransient),
        (BadRequest("Failed to save edits"), PlexBadRequest),  # plexapi client-side
        (requests.ConnectTimeout(url), PlexServerDown),
        (requests.ReadTimeout(url), PlexServerDown),
        (requests.ConnectionError(url), PlexServerDown),
        (requests.exceptions.SSLError(url), PlexServerDown),
        (requests.exceptions.MissingSchema(url), ConfigError),
        (requests.exceptions.ChunkedEncodingError(url), PlexTransient),
        (ET.ParseError(url), PlexTransient),
        (TypeError("'NoneType' object is not subscriptable"), PlexTransient),
        (AttributeError("'NoneType' object has no attribute 'tag'"), PlexTransient),
        (RuntimeError(url), PlexTransient),
    ]
    for exc, expected in cases:
        error = translate_error(exc, action=f"GET {url}", secrets=[TOKEN])
        assert type(error) is expected, (exc, error)
        assert_no_secret(error)
    assert translate_error(PlexAuthError("x")).args == ("x",)  # already classified


def test_classification_ignores_message_wording() -> None:
    # The same words with another status must not change the class.
    error = translate_error(BadRequest("(503) token rejected unauthorized not found"))
    assert isinstance(error, PlexTransient)


def test_redact_forms() -> None:
    text = f"a {TOKEN} b X-Plex-Token=zzzz c 'X-Plex-Token': 'yyyy' d"
    cleaned = redact(text, [TOKEN])
    assert TOKEN not in cleaned and "zzzz" not in cleaned and "yyyy" not in cleaned
