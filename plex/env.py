"""Stable Plex client identity and plexapi's environment, set before plexapi is first imported.

plexapi reads `PLEXAPI_*` variables once, at import. The worker calls `prepare_plexapi_env`
first so every request (ours and plexapi's) carries one `X-Plex-Client-Identifier` kept in the
data folder: Plex then lists one "Stash2Plex" device, not a new one per run or container.
`adopt_legacy_device_id` takes over Stash2Plex 1.x's identifier (its `device_id.json`) on an
upgrade in place, so Plex keeps listing that one device.
Standard library only: importing this module must never import plexapi.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from base.fileio import atomic_write_bytes

__all__ = [
    "CLIENT_ID_FILE",
    "PLEXAPI_CONFIG_FILE",
    "PRODUCT",
    "ClientIdentity",
    "adopt_legacy_device_id",
    "load_client_identity",
    "prepare_plexapi_env",
]

PRODUCT = "Stash2Plex"
CLIENT_ID_FILE = "plex_client_id"
# Deliberately never created: plexapi must not pick up a user's ~/.config/plexapi/config.ini
# (its token, base URL or container size would silently change our behaviour).
PLEXAPI_CONFIG_FILE = "plexapi-config-unused.ini"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientIdentity:
    """What Plex sees as the client device: one per data folder, stable across runs."""

    identifier: str
    product: str = PRODUCT
    device_name: str = PRODUCT

    def headers(self) -> dict[str, str]:
        """The identity headers (they override plexapi's defaults on every request)."""
        return {
            "X-Plex-Client-Identifier": self.identifier,
            "X-Plex-Product": self.product,
            "X-Plex-Device-Name": self.device_name,
        }


def _valid(text: str) -> str | None:
    value = text.strip()
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def load_client_identity(data_dir: str | os.PathLike[str]) -> ClientIdentity:
    """The identity stored in `data_dir`, created (a random UUID) on first use.

    The first writer wins: the file is created exclusively, so two processes starting together
    agree on one identifier. An unreadable or damaged file is replaced atomically.
    """
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLIENT_ID_FILE
    try:
        existing = _valid(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        existing = None
    if existing:
        return ClientIdentity(existing)
    fresh = str(uuid.uuid4())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        # Present but empty or damaged (or being written right now by another process):
        # replace it atomically; a concurrent creator's value may win, then re-read below.
        atomic_write_bytes(path, fresh.encode("ascii"))
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(fresh.encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
    try:
        stored = _valid(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        stored = None
    return ClientIdentity(stored or fresh)


def adopt_legacy_device_id(data_dir: str | os.PathLike[str], source: Path) -> str | None:
    """Make 1.x's `device_id.json` (`{"device_id": "<uuid4>"}`, reference/earlier-stash2plex.md)
    our stored identifier, atomically; returns it, or None when the file holds no identifier
    (then ours stays). Idempotent: a re-run after a SIGKILL writes the same value again.
    """
    try:
        document = json.loads(source.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None
    value = document.get("device_id") if isinstance(document, dict) else None
    identifier = _valid(value) if isinstance(value, str) else None
    if identifier is None:
        return None
    atomic_write_bytes(Path(data_dir) / CLIENT_ID_FILE, identifier.encode("ascii"))
    return identifier


def prepare_plexapi_env(data_dir: str | os.PathLike[str]) -> ClientIdentity:
    """Set plexapi's environment (identity, no auto-reload, no config file); call before import.

    Returns the identity; `PlexClient` also sends it explicitly, so its own requests carry it
    even when plexapi was imported earlier (then only plexapi objects built elsewhere would
    fall back to plexapi's defaults, which is logged).
    """
    identity = load_client_identity(data_dir)
    os.environ["PLEXAPI_HEADER_IDENTIFIER"] = identity.identifier
    os.environ["PLEXAPI_HEADER_PRODUCT"] = identity.product
    os.environ["PLEXAPI_HEADER_DEVICE_NAME"] = identity.device_name
    # A partial plexapi object fetches from the server whenever an empty attribute is read;
    # over a listing that is one request per item (plex.md §2.e "auto-reload trap").
    os.environ["PLEXAPI_PLEXAPI_AUTORELOAD"] = "false"
    os.environ["PLEXAPI_CONFIG_PATH"] = str(Path(data_dir) / PLEXAPI_CONFIG_FILE)
    if "plexapi" in sys.modules:
        _log.debug("plexapi was imported before its environment was prepared")
    return identity
