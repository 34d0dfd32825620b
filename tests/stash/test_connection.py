"""StashEndpoint: host mapping, URLs, auth headers, secrets, image URL rewriting."""

from __future__ import annotations

import pytest

from stash.connection import StashEndpoint, scrub

COOKIE = "MTc0Nj-secret-cookie-value"
KEY = "eyJhbGciOi-secret-api-key"


def _conn(**overrides: object) -> dict[str, object]:
    conn: dict[str, object] = {
        "Scheme": "http",
        "Host": "0.0.0.0",
        "Port": 9999,
        "SessionCookie": {"Name": "session", "Value": COOKIE, "Path": "/", "MaxAge": 3600},
        "Dir": "/srv/stash",
        "PluginDir": "/srv/stash/plugins/community/Stash2Plex",
    }
    conn.update(overrides)
    return conn


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("0.0.0.0", "http://127.0.0.1:9999"),
        ("", "http://127.0.0.1:9999"),
        ("::", "http://[::1]:9999"),
        ("[::]", "http://[::1]:9999"),
        ("::1", "http://[::1]:9999"),
        ("fd00::12", "http://[fd00::12]:9999"),
        ("[fd00::12]", "http://[fd00::12]:9999"),
        ("fe80::1%eth0", "http://[fe80::1%25eth0]:9999"),
        ("192.168.1.20", "http://192.168.1.20:9999"),
        ("stash.lan", "http://stash.lan:9999"),
    ],
)
def test_base_url_maps_bind_addresses_and_brackets_ipv6(host: str, base: str) -> None:
    endpoint = StashEndpoint.from_server_connection(_conn(Host=host))
    assert endpoint.base_url == base
    assert endpoint.graphql_url == base + "/graphql"


def test_missing_host_and_port_default_to_loopback_9999() -> None:
    endpoint = StashEndpoint.from_server_connection({"Scheme": "http"})
    assert endpoint.base_url == "http://127.0.0.1:9999"
    assert endpoint.cookie_value == ""
    assert endpoint.auth_headers() == {}


def test_https_scheme_port_as_text_and_lowercase_keys() -> None:
    endpoint = StashEndpoint.from_server_connection(
        {
            "scheme": "HTTPS",
            "host": "::",
            "port": "9443",
            "sessioncookie": {"name": "session", "value": COOKIE},
            "plugindir": "/p",
            "dir": "/c",
        }
    )
    assert endpoint.base_url == "https://[::1]:9443"
    assert endpoint.cookie_value == COOKIE
    assert (endpoint.plugin_dir, endpoint.config_dir) == ("/p", "/c")


def test_tls_verification_skipped_only_on_loopback() -> None:
    assert StashEndpoint.from_server_connection(_conn(Scheme="https")).verify is False
    assert StashEndpoint.from_server_connection(_conn(Scheme="https", Host="::")).verify is False
    remote = StashEndpoint.from_server_connection(_conn(Scheme="https", Host="stash.lan"))
    assert remote.verify is True
    forced = StashEndpoint(scheme="https", host="127.0.0.1", verify_tls=True)
    assert forced.verify is True


def test_null_cookie_and_unknown_scheme() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn(SessionCookie=None, Scheme="ftp"))
    assert endpoint.scheme == "http"
    assert endpoint.auth_headers() == {}
    assert endpoint.secrets() == ()


def test_auth_headers_send_cookie_and_api_key_only_when_known() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn())
    assert endpoint.auth_headers() == {"Cookie": f"session={COOKIE}"}
    with_key = endpoint.with_api_key(KEY)
    assert with_key.auth_headers() == {"Cookie": f"session={COOKIE}", "ApiKey": KEY}
    assert with_key.secrets() == (COOKIE, KEY)
    assert StashEndpoint.from_server_connection(_conn(), api_key=KEY).api_key == KEY


def test_secrets_stay_out_of_repr() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn()).with_api_key(KEY)
    text = repr(endpoint) + str(endpoint)
    assert COOKIE not in text
    assert KEY not in text
    assert "127.0.0.1" in endpoint.base_url


def test_scrub_removes_apikey_query_values_and_known_secrets() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn()).with_api_key(KEY)
    text = f"GET http://h:1/scene/1/stream?apikey={KEY}&x=1 cookie {COOKIE}"
    cleaned = endpoint.scrub(text)
    assert KEY not in cleaned
    assert COOKIE not in cleaned
    assert "apikey=***&x=1" in cleaned
    assert scrub("http://h/x?APIKEY=abc123") == "http://h/x?APIKEY=***"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://stash.example:9999/scene/12/screenshot?t=1700000000",
            "http://127.0.0.1:9999/scene/12/screenshot?t=1700000000",
        ),
        (
            "https://proxy.example/performer/3/image?t=5&default=true",
            "http://127.0.0.1:9999/performer/3/image?t=5&default=true",
        ),
        ("/studio/4/image", "http://127.0.0.1:9999/studio/4/image"),
        (
            "https://proxy.example/stash/scene/7/screenshot?t=1",
            "http://127.0.0.1:9999/scene/7/screenshot?t=1",
        ),
    ],
)
def test_rewrite_to_base_keeps_path_and_query(url: str, expected: str) -> None:
    endpoint = StashEndpoint.from_server_connection(_conn())
    assert endpoint.rewrite_to_base(url) == expected


def test_rewrite_to_base_ipv6() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn(Host="::", Scheme="https", Port=1))
    assert endpoint.rewrite_to_base("http://x/scene/1/screenshot") == (
        "https://[::1]:1/scene/1/screenshot"
    )


def test_stashapi_conn_is_dialable_and_optionally_without_auth() -> None:
    endpoint = StashEndpoint.from_server_connection(_conn(Host="::")).with_api_key(KEY)
    conn = endpoint.stashapi_conn()
    assert conn["Host"] == "[::1]"
    assert conn["SessionCookie"] == {"Name": "session", "Value": COOKIE}
    assert conn["ApiKey"] == KEY
    bare = endpoint.stashapi_conn(with_auth=False)
    assert "SessionCookie" not in bare
    assert "ApiKey" not in bare
