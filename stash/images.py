"""Downloading Stash images (covers, portraits) safely enough to upload them to Plex.

Always through the GraphQL base URL, with our credentials, no redirects followed, a size cap
and a deadline; Stash's placeholders, its login page and anything not a raster image are
refused with `ImageUnavailable`.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from base.errors import StashAuthError, StashUnavailable
from stash.connection import StashEndpoint
from stash.errors import ImageUnavailable, translate

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "ImageUnavailable",
    "check_image",
    "download_image",
    "is_placeholder_url",
    "sniff_image",
]

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024

_REFUSED_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml")
_SNIFFABLE_TYPES = (
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "image/gif",
    "image/webp",
)
_MARKUP_STARTS = (b"<svg", b"<?xml", b"<!doctype", b"<html", b"<head", b"<body", b"<!--")


def is_placeholder_url(url: str) -> bool:
    """True for Stash's `...&default=true` URLs (a generated placeholder, not an image)."""
    query = urlsplit(url).query
    return any(k == "default" and v.lower() == "true" for k, v in parse_qsl(query))


def sniff_image(data: bytes) -> str | None:
    """The raster format the bytes start with (`jpeg`, `png`, `gif`, `webp`), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _looks_like_markup(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_MARKUP_STARTS)


def check_image(content_type: str, data: bytes) -> None:
    """Raise `ImageUnavailable` unless `data` is a raster image worth uploading.

    The body is sniffed as well as the header: a proxy or an old Stash may label the SVG
    placeholder or the login page with an image type.
    """
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype in _REFUSED_TYPES:
        raise ImageUnavailable(f"Stash served {ctype}, not an image")
    if not data:
        raise ImageUnavailable("empty body")
    if _looks_like_markup(data):
        raise ImageUnavailable("body is SVG or HTML")
    if sniff_image(data) is None and (ctype in _SNIFFABLE_TYPES or not ctype.startswith("image/")):
        # Labelled as a format we recognise but not its bytes: garbage, never a poster. Other
        # image/* types (AVIF, BMP, ...) are taken on trust.
        raise ImageUnavailable(f"not an image ({ctype or 'no content type'})")


def download_image(
    session: Any,
    endpoint: StashEndpoint,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    timeout: float = 30.0,
) -> bytes:
    """GET `url` through `endpoint`'s base with `session` (a requests.Session carrying the
    credentials); return the bytes or raise ImageUnavailable / StashAuthError /
    StashUnavailable. `timeout` bounds each socket operation and the whole download."""
    if is_placeholder_url(url):
        raise ImageUnavailable("Stash placeholder (default=true)")
    target = endpoint.rewrite_to_base(url)
    path = urlsplit(target).path
    deadline = time.monotonic() + timeout
    try:
        response = session.get(
            target,
            headers={"Accept": "image/*"},
            allow_redirects=False,
            stream=True,
            timeout=timeout,
        )
    except Exception as exc:
        raise translate(exc) from None
    with response:
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            if "/login" in location:
                raise StashAuthError(f"Stash sent the image request to its login page ({path})")
            raise ImageUnavailable(f"redirected (HTTP {status}) for {path}")
        if status in (401, 403):
            raise StashAuthError(f"Stash refused the credentials for an image (HTTP {status})")
        if status >= 500:
            raise StashUnavailable(f"Stash is unavailable (HTTP {status}) for {path}")
        if status != 200:
            raise ImageUnavailable(f"HTTP {status} for {path}")
        content_type = response.headers.get("Content-Type", "")
        ctype = content_type.split(";", 1)[0].strip().lower()
        if ctype in _REFUSED_TYPES:
            raise ImageUnavailable(f"Stash served {ctype}, not an image ({path})")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ImageUnavailable(f"larger than {max_bytes} bytes ({path})")
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > max_bytes:
                    raise ImageUnavailable(f"larger than {max_bytes} bytes ({path})")
                if time.monotonic() > deadline:
                    raise StashUnavailable(f"image download took longer than {timeout:g} s")
        except (ImageUnavailable, StashUnavailable):
            raise
        except Exception as exc:
            raise translate(exc) from None
    check_image(content_type, bytes(body))
    return bytes(body)
