"""XML rendering for the Plex emulator: containers, items, sections, server documents.

Strings are built directly (attribute escaping as ElementTree does it) because a 2,000-item
page must render in tens of milliseconds; unset attributes are omitted, booleans are 0/1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from sandbox.model import PLEX_TAG_ELEMENTS, PlexImage, PlexItem, PlexSection
from sandbox.plex_emu import activity
from sandbox.plex_emu.state import PlexState, section_uuid

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
XML_TYPE = "text/xml;charset=utf-8"
IDENTIFIER = "com.plexapp.plugins.library"
MEDIA_TAG_PREFIX = "/system/bundle/media/flags/"
MEDIA_TAG_VERSION = 1700000000

# Child order of a full item, as in the real `metadata-movie.xml` capture.
FULL_TAG_ORDER = ("genre", "country", "collection", "director", "writer", "actor", "producer")
# Child order of a listing item, as in the real `/all` captures.
LISTING_TAG_ORDER = ("genre", "director", "writer", "country", "collection", "actor", "producer")

Pairs = Iterable[tuple[str, object]]


def esc(value: str) -> str:
    """Escape an attribute value like ElementTree (`& < > "` and newline, CR, tab)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def fmt(value: object) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, str):
        return esc(value)
    return str(value)


def attrs(pairs: Pairs, exclude: frozenset[str] = frozenset()) -> str:
    return "".join(
        f' {name}="{fmt(value)}"'
        for name, value in pairs
        if value is not None and name not in exclude
    )


def element(tag: str, pairs: Pairs, children: Iterable[str] = ()) -> str:
    inner = "".join(children)
    if inner:
        return f"<{tag}{attrs(pairs)}>\n{inner}</{tag}>\n"
    return f"<{tag}{attrs(pairs)} />\n"


def document(pairs: Pairs, children: list[str]) -> bytes:
    """A whole MediaContainer response body."""
    return (XML_HEAD + element("MediaContainer", pairs, children)).encode("utf-8")


def html_error(status: int, reason: str) -> bytes:
    return (
        f"<html><head><title>{reason}</title></head><body><h1>{status} {reason}</h1></body></html>"
    ).encode()


@dataclass
class VideoOptions:
    full: bool = False
    include_guids: bool = True
    exclude_fields: frozenset[str] = frozenset()
    exclude_elements: frozenset[str] = frozenset()
    tag_limits: dict[str, int] = field(default_factory=dict)
    include_fields: bool = False  # <Field> locks (always in full items)


def _is_none_agent(section: PlexSection | None) -> bool:
    return section is not None and section.agent.endswith(".none")


def _file_ext(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1] if "." in name else "mkv"


def _num(value: float | None) -> str | None:
    return None if value is None else str(float(value))


def video_pairs(item: PlexItem, section: PlexSection | None, full: bool) -> list:
    rk = item.rating_key
    duration = item.media[0].duration if item.media else None
    pairs: list[tuple[str, object]] = [
        ("ratingKey", rk),
        ("key", f"/library/metadata/{rk}"),
        ("guid", item.guid),
        ("studio", item.studio),
        ("type", "movie"),
        ("title", item.title),
    ]
    if full and section is not None:
        pairs += [
            ("librarySectionTitle", section.title),
            ("librarySectionID", section.id),
            ("librarySectionKey", f"/library/sections/{section.id}"),
        ]
    pairs += [
        ("titleSort", item.title_sort),
        ("originalTitle", item.original_title),
        ("contentRating", item.content_rating),
        ("subtype", "clip" if _is_none_agent(section) else None),
        ("summary", item.summary),
        ("rating", _num(item.rating)),
        ("audienceRating", _num(item.audience_rating)),
        ("userRating", _num(item.user_rating)),
        ("year", item.year),
        ("tagline", item.tagline),
        ("editionTitle", item.edition_title),
        ("thumb", item.thumb),
        ("art", item.art),
        ("duration", duration),
        ("originallyAvailableAt", item.originally_available_at),
        ("addedAt", item.added_at),
        ("updatedAt", item.updated_at),
    ]
    return pairs


def _media(item: PlexItem) -> list[str]:
    out = []
    for media in item.media:
        parts = "".join(
            f'<Part id="{part.id}" key="/library/parts/{part.id}/{item.added_at}/file.'
            f'{esc(_file_ext(part.file))}" duration="{part.duration}" file="{esc(part.file)}"'
            f' size="{part.size}" container="{esc(media.container)}" />\n'
            for part in media.parts
        )
        extra = ""
        if media.proxy_type is not None or media.target:
            # As the real listing shows an optimized version (section-all-home-videos.xml).
            target = esc(media.target or "")
            extra = (
                f' optimizedForStreaming="1" proxyType="{media.proxy_type or ""}"'
                f' target="{target}" title="{target}"'
            )
        out.append(
            f'<Media id="{media.id}" duration="{media.duration}"'
            f' container="{esc(media.container)}"{extra}>\n{parts}</Media>\n'
        )
    return out


def _full_tag(state: PlexState, item: PlexItem, kind: str, name: str) -> str:
    entry = state.tag(kind, name)
    pairs: list[tuple[str, object]] = [
        ("id", entry.id),
        ("filter", f"{kind}={entry.id}"),
        ("tag", name),
    ]
    if kind == "actor":
        extra = state.role_extras.get(item.rating_key, {}).get(name.casefold(), {})
        pairs += [("role", extra.get("role")), ("thumb", extra.get("thumb"))]
    return f"<{PLEX_TAG_ELEMENTS[kind]}{attrs(pairs)} />\n"


def render_video(
    item: PlexItem, section: PlexSection | None, state: PlexState, opts: VideoOptions
) -> str:
    excl = opts.exclude_elements
    children: list[str] = [] if "Media" in excl else _media(item)
    guids = state.guids.get(item.rating_key, ())
    if "Guid" not in excl and (opts.full or opts.include_guids):
        children += [f'<Guid id="{esc(g)}" />\n' for g in guids]
    order = FULL_TAG_ORDER if opts.full else LISTING_TAG_ORDER
    kinds = [*order, "label"]
    for kind in kinds:
        tag = PLEX_TAG_ELEMENTS[kind]
        names = item.tags.get(kind)
        if not names or tag in excl:
            continue
        if opts.full:
            children += [_full_tag(state, item, kind, n) for n in names]
        else:
            limit = opts.tag_limits.get(tag, 2)
            children += [f'<{tag} tag="{esc(n)}" />\n' for n in names[:limit]]
    if (opts.full or opts.include_fields) and "Field" not in excl:
        children += [f'<Field locked="1" name="{esc(n)}" />\n' for n in sorted(item.locked)]
    if "Image" not in excl:
        for kind, url in (("coverPoster", item.thumb), ("background", item.art)):
            if url:
                alt = esc(item.title)
                children.append(f'<Image alt="{alt}" type="{kind}" url="{esc(url)}" />\n')
    pairs = video_pairs(item, section, opts.full) + activity.watch_pairs(state, item.rating_key)
    if opts.exclude_fields:
        pairs = [p for p in pairs if p[0] not in opts.exclude_fields]
    return element("Video", pairs, children)


def section_resources(section: PlexSection) -> tuple[str, str]:
    """(art, thumb) resource paths PMS gives a section's containers."""
    kind = section.type
    other_videos = kind == "movie" and _is_none_agent(section)
    thumb = "/:/resources/video.png" if other_videos else f"/:/resources/{kind}.png"
    return f"/:/resources/{kind}-fanart.jpg", thumb


def section_directory(state: PlexState, section: PlexSection) -> str:
    art, thumb = section_resources(section)
    pairs: list[tuple[str, object]] = [
        ("allowSync", True),
        ("art", art),
        ("composite", f"/library/sections/{section.id}/composite/{section.scanned_at}"),
        ("filters", True),
        ("refreshing", section.refreshing),
        ("thumb", thumb),
        ("key", str(section.id)),
        ("type", section.type),
        ("title", section.title),
        ("agent", section.agent),
        ("scanner", section.scanner),
        ("language", section.language),
        ("uuid", section_uuid(section)),
        ("updatedAt", section.updated_at),
        ("createdAt", section.created_at),
        ("scannedAt", section.scanned_at),
        ("content", True),
        ("directory", True),
        ("contentChangedAt", section.updated_at),
        ("hidden", 0),
    ]
    locations = [
        f'<Location id="{state.location_id(section, path)}" path="{esc(path)}" />\n'
        for path in section.locations
    ]
    return element("Directory", pairs, locations)


def render_sections(state: PlexState) -> bytes:
    sections = list(state.library.sections.values())
    pairs = [
        ("size", len(sections)),
        ("allowSync", False),
        ("identifier", IDENTIFIER),
        ("mediaTagPrefix", MEDIA_TAG_PREFIX),
        ("mediaTagVersion", MEDIA_TAG_VERSION),
        ("title1", "Plex Library"),
    ]
    return document(pairs, [section_directory(state, s) for s in sections])


def render_library() -> bytes:
    children = [
        element("Directory", [("key", "sections"), ("title", "Library Sections")]),
        element("Directory", [("key", "recentlyAdded"), ("title", "Recently Added Content")]),
        element("Directory", [("key", "onDeck"), ("title", "On Deck")]),
    ]
    pairs = [
        ("size", len(children)),
        ("allowSync", False),
        ("art", "/:/resources/library-art.png"),
        ("content", ""),
        ("identifier", IDENTIFIER),
        ("mediaTagPrefix", MEDIA_TAG_PREFIX),
        ("mediaTagVersion", MEDIA_TAG_VERSION),
        ("title1", "Plex Library"),
        ("title2", ""),
    ]
    return document(pairs, children)


_ROOT_DIRECTORIES = (
    "activities",
    "butler",
    "channels",
    "clients",
    "hubs",
    "library",
    "media",
    "metadata",
    "playlists",
    "search",
    "server",
    "system",
    "transcode",
)


def render_root(state: PlexState) -> bytes:
    lib = state.library
    pairs: list[tuple[str, object]] = [
        ("size", len(_ROOT_DIRECTORIES)),
        ("allowCameraUpload", False),
        ("allowChannelAccess", True),
        ("allowMediaDeletion", True),
        ("allowSharing", True),
        ("allowSync", True),
        ("backgroundProcessing", True),
        ("certificate", False),
        ("companionProxy", True),
        ("diagnostics", "logs,databases,streaminglogs"),
        ("eventStream", True),
        ("friendlyName", lib.friendly_name),
        ("hubSearch", True),
        ("machineIdentifier", lib.machine_identifier),
        ("multiuser", True),
        ("myPlex", state.claimed),
        ("myPlexMappingState", "mapped" if state.claimed else "unknown"),
        ("myPlexSigninState", "ok" if state.claimed else "none"),
        ("myPlexSubscription", False),
        ("ownerFeatures", ""),
        ("platform", state.platform),
        ("platformVersion", state.platform_version),
        ("pluginHost", True),
        ("readOnlyLibraries", 0),
        ("sync", True),
        ("transcoderActiveVideoSessions", 0),
        ("transcoderAudio", True),
        ("transcoderVideo", True),
        ("updatedAt", state.updated_at),
        ("updater", True),
        ("version", lib.version),
        ("voiceSearch", True),
    ]
    children = [
        element("Directory", [("count", 1), ("key", key), ("title", key)])
        for key in _ROOT_DIRECTORIES
    ]
    return document(pairs, children)


def render_identity(state: PlexState) -> bytes:
    lib = state.library
    pairs = [
        ("size", 0),
        ("claimed", state.claimed),
        ("machineIdentifier", lib.machine_identifier),
        ("version", lib.version),
    ]
    return document(pairs, [])


def photo_key(rating_key: int, resource: PlexImage) -> str:
    return f"/library/metadata/{rating_key}/file?url={quote(resource.rating_key, safe='')}"


def render_photos(item: PlexItem, resources: list[PlexImage], selected: str | None) -> bytes:
    children = []
    for res in resources:
        key = photo_key(item.rating_key, res)
        pairs = [
            ("key", key),
            ("ratingKey", res.rating_key),
            ("thumb", key),
            ("selected", res.rating_key == selected),
            ("provider", res.provider),
        ]
        children.append(element("Photo", pairs))
    pairs = [
        ("size", len(children)),
        ("identifier", IDENTIFIER),
        ("mediaTagPrefix", MEDIA_TAG_PREFIX),
        ("mediaTagVersion", MEDIA_TAG_VERSION),
    ]
    return document(pairs, children)
