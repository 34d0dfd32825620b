"""Where Stash is and how to authenticate to it, built from the plugin's `server_connection`.

Standard library only: the hook path imports it. Owns host mapping, the base URL, auth
headers, the secrets to redact, and rewriting image URLs onto the GraphQL base.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

__all__ = ["StashEndpoint", "scrub"]

# Stash reports its *bind* address; these mean "every interface" and are not dialable.
_WILDCARD_V4 = {"0.0.0.0", ""}
_WILDCARD_V6 = {"::", "[::]", "0:0:0:0:0:0:0:0"}
_APIKEY_QUERY = re.compile(r"(?i)([?&]apikey=)[^&#\s'\"]*")
# Where Stash's own routes start in a URL built with a proxy prefix (`external_host`).
_STASH_ROUTE = re.compile(r"/(?:scene|performer|studio|tag|group|movie|image|gallery)/\d+/")


def _lookup(conn: Mapping[str, object], key: str) -> object:
    """Case-insensitive key lookup: Stash sends `Host`, hand-written configs send `host`."""
    if key in conn:
        return conn[key]
    lowered = key.lower()
    for name, value in conn.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def _dial_host(raw: str) -> str:
    """The host to connect to, without brackets; bind wildcards become loopback."""
    host = raw.strip()
    if host in _WILDCARD_V4:
        return "127.0.0.1"
    if host in _WILDCARD_V6:
        return "::1"
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _is_ipv6(host: str) -> bool:
    return ":" in host


def _url_host(host: str) -> str:
    """Host as it appears in a URL: IPv6 literals bracketed, a zone's % escaped."""
    if _is_ipv6(host):
        return "[" + host.replace("%", "%25") + "]"
    return host


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    import ipaddress  # not needed on the hook path, which never checks certificates

    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def scrub(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """`text` with `apikey=` query values and every known secret replaced by `***`."""
    text = _APIKEY_QUERY.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class StashEndpoint:
    """One Stash server as seen from the plugin. Secrets are kept out of `repr`.

    `host` is what Stash reported (its bind address); `dial_host` is what we connect to.
    `verify_tls=None` means: verify certificates unless the server is on loopback, where
    Stash's certificate never names the address we dial and no network is crossed.
    """

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = 9999
    cookie_name: str = "session"
    cookie_value: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    plugin_dir: str = ""
    config_dir: str = ""
    verify_tls: bool | None = None

    @classmethod
    def from_server_connection(
        cls, conn: Mapping[str, object] | None, *, api_key: str = ""
    ) -> StashEndpoint:
        """Build from the `server_connection` object of the plugin's stdin (keys any case)."""
        conn = conn or {}
        scheme = str(_lookup(conn, "Scheme") or "http").strip().lower()
        if scheme not in ("http", "https"):
            scheme = "http"
        host = _lookup(conn, "Host")
        port = _lookup(conn, "Port")
        try:
            port_number = int(port) if port not in (None, "") else 9999  # type: ignore[arg-type]
        except (TypeError, ValueError):
            port_number = 9999
        cookie = _lookup(conn, "SessionCookie")
        name, value = "session", ""
        if isinstance(cookie, Mapping):
            name = str(_lookup(cookie, "Name") or "session")
            value = str(_lookup(cookie, "Value") or "")
        key = api_key or str(_lookup(conn, "ApiKey") or "")
        return cls(
            scheme=scheme,
            host="" if host is None else str(host),
            port=port_number,
            cookie_name=name,
            cookie_value=value,
            api_key=key,
            plugin_dir=str(_lookup(conn, "PluginDir") or ""),
            config_dir=str(_lookup(conn, "Dir") or ""),
        )

    def with_api_key(self, api_key: str) -> StashEndpoint:
        """A copy that also sends `ApiKey` (from settings or the environment)."""
        return replace(self, api_key=api_key or "")

    @property
    def dial_host(self) -> str:
        return _dial_host(self.host)

    @property
    def base_url(self) -> str:
        """`scheme://host:port` with wildcards mapped to loopback and IPv6 bracketed."""
        return f"{self.scheme}://{_url_host(self.dial_host)}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.base_url + "/graphql"

    @property
    def verify(self) -> bool:
        """Whether TLS certificates are checked (see the class docstring)."""
        if self.verify_tls is not None:
            return self.verify_tls
        return not _is_loopback(self.dial_host)

    def auth_headers(self) -> dict[str, str]:
        """Headers authenticating a request: the session cookie and, when known, `ApiKey`.

        A wrong `ApiKey` is refused even by an open Stash, so the header is sent only when
        a key was given.
        """
        headers: dict[str, str] = {}
        if self.cookie_value:
            headers["Cookie"] = f"{self.cookie_name}={self.cookie_value}"
        if self.api_key:
            headers["ApiKey"] = self.api_key
        return headers

    def secrets(self) -> tuple[str, ...]:
        """Values to register with the log redactor."""
        return tuple(s for s in (self.cookie_value, self.api_key) if s)

    def scrub(self, text: str) -> str:
        """`text` safe for a log line or an error message."""
        return scrub(text, self.secrets())

    def rewrite_to_base(self, url: str) -> str:
        """`url` fetched through our base URL: keep path and query, drop Stash's host.

        Stash builds image URLs from the request's Host header or its `external_host`
        setting, which may be a proxy (with a path prefix, dropped here) or a name this
        machine cannot resolve.
        """
        from urllib.parse import urlsplit, urlunsplit  # lazily: hooks never fetch images

        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        route = _STASH_ROUTE.search(path)
        if route is not None:
            path = path[route.start() :]  # drop a reverse proxy's path prefix
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def stashapi_conn(
        self, logger: object | None = None, *, with_auth: bool = True
    ) -> dict[str, object]:
        """The `conn` dict for stashapi's `StashInterface`, with the host already dialable.

        stashapi always names the cookie `session`; pass `with_auth=False` when the caller
        sets credentials on the requests session itself.
        """
        conn: dict[str, object] = {
            "Scheme": self.scheme,
            "Host": _url_host(self.dial_host),
            "Port": self.port,
        }
        if with_auth and self.cookie_value:
            conn["SessionCookie"] = {"Name": self.cookie_name, "Value": self.cookie_value}
        if with_auth and self.api_key:
            conn["ApiKey"] = self.api_key
        if self.plugin_dir:
            conn["PluginDir"] = self.plugin_dir
        if logger is not None:
            conn["Logger"] = logger
        return conn
