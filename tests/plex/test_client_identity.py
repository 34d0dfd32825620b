"""Client identity, plexapi environment, timeouts and TLS plumbing of `plex.client.PlexClient`.

The identifier must reach Plex (`X-Plex-Client-Identifier`) on our raw requests and on
plexapi's, and stay the same across client constructions and processes.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from base.errors import PlexServerDown
from plex.client import PlexClient
from plex.env import CLIENT_ID_FILE, PLEXAPI_CONFIG_FILE, load_client_identity, prepare_plexapi_env
from sandbox.httpd import Fault
from sandbox.plex_emu import PlexEmulator
from tests.plex.conftest import TOKEN, assert_no_secret

REPO = Path(__file__).resolve().parents[2]
CERT = Path(__file__).with_name("data") / "selfsigned-127.0.0.1-test-only.pem"


def identifiers(emu: PlexEmulator) -> set[str]:
    return {r.headers.get("X-Plex-Client-Identifier", "") for r in emu.log.records}


def test_identity_is_stored_once_and_reused(data_dir: Path) -> None:
    first = load_client_identity(data_dir)
    second = load_client_identity(data_dir)
    assert first == second
    assert uuid.UUID(first.identifier)
    assert (data_dir / CLIENT_ID_FILE).read_text().strip() == first.identifier


def test_damaged_identity_file_is_replaced(data_dir: Path) -> None:
    (data_dir / CLIENT_ID_FILE).write_text("not a uuid")
    identity = load_client_identity(data_dir)
    assert uuid.UUID(identity.identifier)
    assert load_client_identity(data_dir) == identity


def test_identity_reaches_plex_same_across_clients(emu: PlexEmulator, data_dir: Path) -> None:
    for _ in range(2):
        with PlexClient(emu.url, TOKEN, data_dir=data_dir) as client:
            client.connect()  # plexapi's PlexServer: GET /
            client.sections()  # raw request on our session
    stored = (data_dir / CLIENT_ID_FILE).read_text().strip()
    assert identifiers(emu) == {stored}
    assert {r.headers.get("X-Plex-Product") for r in emu.log.records} == {"Stash2Plex"}
    assert [r.route for r in emu.log.records] == ["GET /", "GET /library/sections"] * 2


def test_prepare_env_sets_plexapi_variables(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = (
        "PLEXAPI_HEADER_IDENTIFIER",
        "PLEXAPI_HEADER_PRODUCT",
        "PLEXAPI_HEADER_DEVICE_NAME",
        "PLEXAPI_PLEXAPI_AUTORELOAD",
        "PLEXAPI_CONFIG_PATH",
    )
    for name in names:
        monkeypatch.setenv(name, "before")  # monkeypatch restores the real values afterwards
    identity = prepare_plexapi_env(data_dir)
    assert os.environ["PLEXAPI_HEADER_IDENTIFIER"] == identity.identifier
    assert os.environ["PLEXAPI_HEADER_PRODUCT"] == "Stash2Plex"
    assert os.environ["PLEXAPI_HEADER_DEVICE_NAME"] == "Stash2Plex"
    assert os.environ["PLEXAPI_PLEXAPI_AUTORELOAD"] == "false"
    config_path = Path(os.environ["PLEXAPI_CONFIG_PATH"])
    assert config_path == data_dir / PLEXAPI_CONFIG_FILE
    assert not config_path.exists()


CHILD = """
import sys
from plex.env import prepare_plexapi_env
identity = prepare_plexapi_env(sys.argv[1])
import plexapi
from plexapi.server import PlexServer
from plex.client import PlexClient
PlexServer(sys.argv[2], sys.argv[3], timeout=5)  # plain plexapi: identity from the env only
PlexClient(sys.argv[2], sys.argv[3], identity=identity).sections()
print(plexapi.X_PLEX_IDENTIFIER, plexapi.CONFIG.get("plexapi.autoreload", True, bool))
"""


def test_identity_stable_across_processes(emu: PlexEmulator, data_dir: Path) -> None:
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(data_dir), emu.url, TOKEN],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.split())
    stored = (data_dir / CLIENT_ID_FILE).read_text().strip()
    assert outputs == [[stored, "False"], [stored, "False"]]
    assert identifiers(emu) == {stored}
    assert {r.headers.get("X-Plex-Product") for r in emu.log.records} == {"Stash2Plex"}
    assert emu.log.count("GET /") == 2 and emu.log.count("GET /library/sections") == 2


def test_config_timeouts_and_defaults(data_dir: Path) -> None:
    config = SimpleNamespace(
        plex_url="http://127.0.0.1:9/",
        plex_token=TOKEN,
        connect_timeout=3,
        read_timeout=0,  # SPEC §5: a NUMBER of 0 means "default"
        plex_skip_tls_verify=True,
        plex_write_delay_ms=250,
    )
    client = PlexClient.from_config(config, data_dir)
    assert client.base_url == "http://127.0.0.1:9"
    assert client.timeout == (3.0, 30.0)
    assert client.session.verify is False
    assert client.write_delay_s == 0.25
    assert TOKEN not in repr(client)
    bare = PlexClient.from_config(
        SimpleNamespace(plex_url="https://plex:32400", plex_token="t0k3n")
    )
    assert bare.timeout == (5.0, 30.0) and bare.session.verify is True


def test_from_validated_config(data_dir: Path) -> None:
    from validation.config import Stash2PlexConfig

    config = Stash2PlexConfig(
        plex_url="http://127.0.0.1:32400",
        plex_token=TOKEN,
        connect_timeout=2.5,
        read_timeout=12.0,
        plex_skip_tls_verify=True,
        plex_write_delay_ms=40,
    )
    client = PlexClient.from_config(config, data_dir)
    assert client.timeout == (2.5, 12.0) and client.session.verify is False
    assert client.write_delay_s == 0.04
    assert client.client_identity == load_client_identity(data_dir)


def test_read_timeout_applies(emu: PlexEmulator, data_dir: Path) -> None:
    client = PlexClient(emu.url, TOKEN, data_dir=data_dir, read_timeout=0.3)
    emu.knobs.add_fault(Fault("hang", hang_s=3, path_regex="/library/sections$"))
    with pytest.raises(PlexServerDown) as caught:
        client.sections()
    assert "did not answer in time (read timeout" in str(caught.value)
    assert "ReadTimeout" not in str(caught.value)  # words for users, not a class name
    assert_no_secret(caught.value)


class _Identity(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'<MediaContainer size="0" claimed="1" machineIdentifier="tls" version="1.0"/>'
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_url() -> Iterator[str]:
    """A loopback HTTPS server with a self-signed certificate (test-only key in data/)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Identity)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_tls_verification_and_skip(tls_url: str, data_dir: Path) -> None:
    strict = PlexClient(tls_url, TOKEN, data_dir=data_dir)
    with pytest.raises(PlexServerDown) as caught:
        strict.identity()
    assert "plex_skip_tls_verify" in str(caught.value)
    assert_no_secret(caught.value)
    relaxed = PlexClient(tls_url, TOKEN, data_dir=data_dir, verify_tls=False)
    assert relaxed.identity().machine_identifier == "tls"
    # plexapi's own request path too (it never passes `verify`; REQUESTS_CA_BUNDLE must not win)
    assert relaxed.connect().machine_identifier == "tls"
