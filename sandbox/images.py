"""Real image bytes for the emulators: distinct JPEGs and PNGs, and Stash's SVG placeholder.

Each generated image is a valid file whose bytes depend on a seed, so fingerprints differ per
scene without an imaging library.
"""

from __future__ import annotations

import base64
import struct
import zlib

# A valid 1x1 baseline JPEG; a COM segment after SOI carries the seed so bytes differ.
_JPEG_1X1 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJ"
    "DRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k="
)

# What Stash serves for a scene without a cover (image/svg+xml), abridged but well-formed.
STASH_DEFAULT_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360">'
    b'<rect width="640" height="360" fill="#30404d"/>'
    b'<path d="M280 140l90 40-90 40z" fill="#5c7080"/></svg>'
)

# The HTML page Stash answers with after a 302 to /login (what a naive client uploads).
STASH_LOGIN_HTML = (
    b"<!DOCTYPE html><html><head><title>Login</title></head>"
    b'<body><form method="POST" action="/login"><input name="username"/>'
    b'<input name="password" type="password"/></form></body></html>'
)


def jpeg_bytes(seed: int | str) -> bytes:
    """A valid JPEG whose bytes are unique for `seed`."""
    comment = f"sandbox cover {seed}".encode()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return _JPEG_1X1[:2] + segment + _JPEG_1X1[2:]


def png_bytes(seed: int | str, size: int = 2) -> bytes:
    """A valid RGB PNG of `size`x`size` pixels whose colour derives from `seed`."""
    digest = zlib.crc32(str(seed).encode())
    rgb = bytes(((digest >> 16) & 255, (digest >> 8) & 255, digest & 255))
    raw = b"".join(b"\x00" + rgb * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def sniff_content_type(data: bytes) -> str:
    """The content type a web server would give these bytes."""
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.lstrip().startswith(b"<svg") or data.lstrip().startswith(b"<?xml"):
        return "image/svg+xml"
    if data.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "text/html; charset=utf-8"
    return "application/octet-stream"
