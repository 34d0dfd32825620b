"""Projects model objects to the JSON Stash returns, one getter per schema field.

Every object type of schema.graphql that wraps library data has a table here mapping each of
its fields to a getter and, for object-valued fields, the nested type. `project` walks a
selection plan over those tables; values come out already serialised (ids as strings, times
as RFC3339 text), so graphql-core never has to complete them field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.model import (
    StashFile,
    StashGroup,
    StashLibrary,
    StashScene,
    StashStudio,
    StashTag,
)
from sandbox.stash_emu.selection import Selected
from sandbox.stash_emu.values import (
    DEFAULT_TIME,
    Extras,
    FolderRegistry,
    oshash,
    parent_folder_path,
    split_path,
    unix_seconds,
)


@dataclass
class RenderContext:
    """What rendering needs besides the object: the library and the request's base URL."""

    library: StashLibrary
    extras: Extras
    folders: FolderRegistry
    fmt: Callable[[datetime | None], str | None]
    base_url: str  # scheme://Host of the GraphQL request
    api_key: str = ""


Getter = Callable[[Any, RenderContext], Any]
Table = dict[str, tuple[Getter, str | None]]


def project(obj: Any, type_name: str, selection: tuple[Selected, ...], rc: RenderContext) -> dict:
    table = TABLES[type_name]
    out: dict[str, Any] = {}
    for sel in selection:
        if sel.field == "__typename":
            out[sel.key] = type_name
            continue
        getter, nested = table[sel.field]
        value = getter(obj, rc)
        if nested is not None and value is not None and sel.sub is not None:
            if isinstance(value, list):
                value = [project(item, nested, sel.sub, rc) for item in value]
            else:
                value = project(value, nested, sel.sub, rc)
        out[sel.key] = value
    return out


def _image_url(rc: RenderContext, kind: str, obj_id: int, when: Any, has_image: bool) -> str:
    url = f"{rc.base_url}/{kind}/{obj_id}/image?t={unix_seconds(when)}"
    return url if has_image else url + "&default=true"


def _extra(kind: str, key: str, default: Any = None) -> Getter:
    """A side field; a stored null falls back to `default` (the non-null fields have one)."""

    def get(obj: Any, rc: RenderContext) -> Any:
        value = rc.extras.get(kind, obj.id, key)
        if value is None:
            value = default
        return list(value) if isinstance(value, list) else value

    return get


def _const(value: Any) -> Getter:
    return lambda obj, rc: list(value) if isinstance(value, list) else value


def _tags_of(kind: str) -> Getter:
    def get(obj: Any, rc: RenderContext) -> list[StashTag]:
        ids = rc.extras.get(kind, obj.id, "tag_ids") or []
        tags = rc.library.tags
        return [tags[int(t)] for t in ids if int(t) in tags]  # type: ignore[union-attr]

    return get


def _created(kind: str) -> Getter:
    def get(obj: Any, rc: RenderContext) -> str | None:
        when = rc.extras.get(kind, obj.id, "created_at") or obj.updated_at or DEFAULT_TIME
        return rc.fmt(when)  # type: ignore[arg-type]

    return get


def _fmt_or_none(rc: RenderContext, when: Any) -> str | None:
    return None if when is None else rc.fmt(when)


def _updated(obj: Any, rc: RenderContext) -> str | None:
    return rc.fmt(obj.updated_at or DEFAULT_TIME)


# --- scenes -----------------------------------------------------------------------------------


def _scene_groups(scene: StashScene, rc: RenderContext) -> list[tuple[StashGroup, int | None]]:
    groups = rc.library.groups
    return [(groups[gid], index) for gid, index in scene.groups if gid in groups]


def _scene_studio(scene: StashScene, rc: RenderContext) -> StashStudio | None:
    return rc.library.studios.get(scene.studio_id) if scene.studio_id is not None else None


SCENE: Table = {
    "id": (lambda s, rc: str(s.id), None),
    "title": (lambda s, rc: s.title, None),
    "code": (_extra("scene", "code"), None),
    "details": (lambda s, rc: s.details, None),
    "director": (_extra("scene", "director"), None),
    "url": (lambda s, rc: s.urls[0] if s.urls else None, None),
    "urls": (lambda s, rc: list(s.urls), None),
    "date": (lambda s, rc: s.date, None),
    "rating100": (lambda s, rc: s.rating100, None),
    "organized": (lambda s, rc: bool(s.organized), None),
    "o_counter": (_extra("scene", "o_counter", 0), None),
    "interactive": (_const(False), None),
    "interactive_speed": (_const(None), None),
    "created_at": (lambda s, rc: rc.fmt(s.created_at), None),
    "updated_at": (lambda s, rc: rc.fmt(s.updated_at), None),
    "last_played_at": (
        lambda s, rc: _fmt_or_none(rc, rc.extras.get("scene", s.id, "last_played_at")),
        None,
    ),
    "resume_time": (_extra("scene", "resume_time", 0.0), None),
    "play_duration": (_extra("scene", "play_duration", 0.0), None),
    "play_count": (_extra("scene", "play_count", 0), None),
    "play_history": (
        lambda s, rc: [rc.fmt(t) for t in rc.extras.get("scene", s.id, "play_history", []) or []],
        None,
    ),
    "o_history": (_const([]), None),
    "files": (lambda s, rc: [(f, s) for f in s.files], "VideoFile"),
    "paths": (lambda s, rc: s, "ScenePathsType"),
    "studio": (_scene_studio, "Studio"),
    "groups": (_scene_groups, "SceneGroup"),
    "movies": (_scene_groups, "SceneMovie"),
    "tags": (lambda s, rc: [rc.library.tags[t] for t in s.tag_ids if t in rc.library.tags], "Tag"),
    "performers": (
        lambda s, rc: [
            rc.library.performers[p] for p in s.performer_ids if p in rc.library.performers
        ],
        "Performer",
    ),
    "stash_ids": (_const([]), "StashID"),
}


def _checksum(scene: StashScene) -> str:
    return oshash(scene.files[0].path, scene.files[0].size) if scene.files else ""


def _scene_url(suffix: str) -> Getter:
    return lambda s, rc: f"{rc.base_url}/scene/{s.id}/{suffix}"


def _stream_url(scene: StashScene, rc: RenderContext) -> str:
    url = f"{rc.base_url}/scene/{scene.id}/stream"
    return f"{url}?apikey={rc.api_key}" if rc.api_key else url


SCENE_PATHS: Table = {
    "screenshot": (
        lambda s, rc: f"{rc.base_url}/scene/{s.id}/screenshot?t={unix_seconds(s.updated_at)}",
        None,
    ),
    "preview": (_scene_url("preview"), None),
    "stream": (_stream_url, None),
    "webp": (_scene_url("webp"), None),
    "vtt": (lambda s, rc: f"{rc.base_url}/scene/{_checksum(s)}_thumbs.vtt", None),
    "sprite": (lambda s, rc: f"{rc.base_url}/scene/{_checksum(s)}_sprite.jpg", None),
    "funscript": (_scene_url("funscript"), None),
    "interactive_heatmap": (_scene_url("interactive_heatmap"), None),
    "caption": (_scene_url("caption"), None),
}

_FORMATS = {"mkv": "matroska", "wmv": "asf", "m4v": "mp4", "mov": "mov", "avi": "avi"}


def _file_format(path: str) -> str:
    ext = path.rpartition(".")[2].lower() if "." in path else ""
    return _FORMATS.get(ext, ext or "mp4")


def _bit_rate(ref: tuple[StashFile, StashScene], rc: RenderContext) -> int:
    f = ref[0]
    return int(f.size * 8 / f.duration) if f.duration > 0 else 0


VIDEO_FILE: Table = {
    "id": (lambda r, rc: str(r[0].id), None),
    "path": (lambda r, rc: r[0].path, None),
    "basename": (lambda r, rc: split_path(r[0].path)[1], None),
    "parent_folder": (lambda r, rc: split_path(r[0].path)[0], "Folder"),
    "mod_time": (lambda r, rc: rc.fmt(r[1].created_at), None),
    "size": (lambda r, rc: int(r[0].size), None),
    "fingerprints": (
        lambda r, rc: [{"type": "oshash", "value": oshash(r[0].path, r[0].size)}],
        "Fingerprint",
    ),
    "format": (lambda r, rc: _file_format(r[0].path), None),
    "width": (_const(1920), None),
    "height": (_const(1080), None),
    "duration": (lambda r, rc: float(r[0].duration), None),
    "video_codec": (_const("h264"), None),
    "audio_codec": (_const("aac"), None),
    "frame_rate": (_const(29.97), None),
    "bit_rate": (_bit_rate, None),
    "created_at": (lambda r, rc: rc.fmt(r[1].created_at), None),
    "updated_at": (lambda r, rc: rc.fmt(r[1].created_at), None),
}

FOLDER: Table = {
    "id": (lambda p, rc: str(rc.folders.id_for(p)), None),
    "path": (lambda p, rc: p, None),
    "parent_folder": (lambda p, rc: parent_folder_path(p), "Folder"),
    "mod_time": (lambda p, rc: rc.fmt(DEFAULT_TIME), None),
    "created_at": (lambda p, rc: rc.fmt(DEFAULT_TIME), None),
    "updated_at": (lambda p, rc: rc.fmt(DEFAULT_TIME), None),
}

DICT_FIELDS: Callable[[tuple[str, ...]], Table] = lambda names: {  # noqa: E731
    name: ((lambda n: lambda d, rc: d.get(n))(name), None) for name in names
}

SCENE_GROUP: Table = {
    "group": (lambda r, rc: r[0], "Group"),
    "scene_index": (lambda r, rc: r[1], None),
}
SCENE_MOVIE: Table = {
    "movie": (lambda r, rc: r[0], "Movie"),
    "scene_index": (lambda r, rc: r[1], None),
}

# --- related entities -------------------------------------------------------------------------

PERFORMER: Table = {
    "id": (lambda p, rc: str(p.id), None),
    "name": (lambda p, rc: p.name, None),
    "disambiguation": (_extra("performer", "disambiguation"), None),
    "urls": (_extra("performer", "urls", []), None),
    "gender": (_extra("performer", "gender"), None),
    "birthdate": (_extra("performer", "birthdate"), None),
    "country": (_extra("performer", "country"), None),
    "alias_list": (_extra("performer", "alias_list", []), None),
    "favorite": (_extra("performer", "favorite", False), None),
    "tags": (_tags_of("performer"), "Tag"),
    "ignore_auto_tag": (_extra("performer", "ignore_auto_tag", False), None),
    "image_path": (
        lambda p, rc: _image_url(rc, "performer", p.id, p.updated_at, p.image is not None),
        None,
    ),
    "stash_ids": (_const([]), "StashID"),
    "rating100": (_extra("performer", "rating100"), None),
    "details": (_extra("performer", "details"), None),
    "created_at": (_created("performer"), None),
    "updated_at": (_updated, None),
}


def _children(st: StashStudio, rc: RenderContext) -> list[StashStudio]:
    return [s for s in rc.library.studios.values() if s.parent_id == st.id]


STUDIO: Table = {
    "id": (lambda s, rc: str(s.id), None),
    "name": (lambda s, rc: s.name, None),
    "urls": (_extra("studio", "urls", []), None),
    "parent_studio": (
        lambda s, rc: rc.library.studios.get(s.parent_id) if s.parent_id is not None else None,
        "Studio",
    ),
    "child_studios": (_children, "Studio"),
    "aliases": (_extra("studio", "aliases", []), None),
    "tags": (_tags_of("studio"), "Tag"),
    "ignore_auto_tag": (_extra("studio", "ignore_auto_tag", False), None),
    "image_path": (
        lambda s, rc: _image_url(rc, "studio", s.id, s.updated_at, s.image is not None),
        None,
    ),
    "stash_ids": (_const([]), "StashID"),
    "rating100": (_extra("studio", "rating100"), None),
    "favorite": (_extra("studio", "favorite", False), None),
    "details": (_extra("studio", "details"), None),
    "created_at": (_created("studio"), None),
    "updated_at": (_updated, None),
}


def tag_parent_ids(extras: Extras, tag_id: int) -> list[int]:
    return [int(t) for t in extras.get("tag", tag_id, "parent_ids") or []]  # type: ignore[union-attr]


def _tag_parents(t: StashTag, rc: RenderContext) -> list[StashTag]:
    tags = rc.library.tags
    return [tags[p] for p in tag_parent_ids(rc.extras, t.id) if p in tags]


def _tag_children(t: StashTag, rc: RenderContext) -> list[StashTag]:
    return [c for c in rc.library.tags.values() if t.id in tag_parent_ids(rc.extras, c.id)]


TAG: Table = {
    "id": (lambda t, rc: str(t.id), None),
    "name": (lambda t, rc: t.name, None),
    "sort_name": (_extra("tag", "sort_name"), None),
    "description": (_extra("tag", "description"), None),
    "aliases": (_extra("tag", "aliases", []), None),
    "ignore_auto_tag": (_extra("tag", "ignore_auto_tag", False), None),
    "created_at": (_created("tag"), None),
    "updated_at": (_updated, None),
    "favorite": (_extra("tag", "favorite", False), None),
    "stash_ids": (_const([]), "StashID"),
    "image_path": (
        lambda t, rc: _image_url(
            rc, "tag", t.id, t.updated_at, rc.extras.get("tag", t.id, "image") is not None
        ),
        None,
    ),
    "parents": (_tag_parents, "Tag"),
    "children": (_tag_children, "Tag"),
    "parent_count": (lambda t, rc: len(_tag_parents(t, rc)), None),
    "child_count": (lambda t, rc: len(_tag_children(t, rc)), None),
}


def _group_image(kind: str, which: str) -> Getter:
    def get(g: StashGroup, rc: RenderContext) -> str | None:
        has = rc.extras.get("group", g.id, f"{which}_image") is not None
        url = f"{rc.base_url}/{kind}/{g.id}/{which}image?t={unix_seconds(g.updated_at)}"
        if which == "back":
            return url if has else None
        return url if has else url + "&default=true"

    return get


def _group_table(kind: str) -> Table:
    return {
        "id": (lambda g, rc: str(g.id), None),
        "name": (lambda g, rc: g.name, None),
        "aliases": (_extra("group", "aliases"), None),
        "duration": (_extra("group", "duration"), None),
        "date": (_extra("group", "date"), None),
        "rating100": (_extra("group", "rating100"), None),
        "studio": (
            lambda g, rc: rc.library.studios.get(
                int(rc.extras.get("group", g.id, "studio_id") or 0)
            ),  # type: ignore[arg-type]
            "Studio",
        ),
        "director": (_extra("group", "director"), None),
        "synopsis": (_extra("group", "synopsis"), None),
        "urls": (_extra("group", "urls", []), None),
        "tags": (_tags_of("group"), "Tag"),
        "created_at": (_created("group"), None),
        "updated_at": (_updated, None),
        "front_image_path": (_group_image(kind, "front"), None),
        "back_image_path": (_group_image(kind, "back"), None),
    }


TABLES: dict[str, Table] = {
    "Scene": SCENE,
    "ScenePathsType": SCENE_PATHS,
    "VideoFile": VIDEO_FILE,
    "Folder": FOLDER,
    "Fingerprint": DICT_FIELDS(("type", "value")),
    "StashID": DICT_FIELDS(("endpoint", "stash_id", "updated_at")),
    "SceneGroup": SCENE_GROUP,
    "SceneMovie": SCENE_MOVIE,
    "Performer": PERFORMER,
    "Studio": STUDIO,
    "Tag": TAG,
    "Group": _group_table("group"),
    "Movie": _group_table("movie"),
}
