"""HTTP routes of the Stash emulator: /graphql, image routes, /login, and authentication.

Unauthenticated requests with credentials configured get what Stash's authenticate handler
gives (internal/api/authentication.go): 401 + `WWW-Authenticate: FormBased` with an empty body
for /graphql and paths with a non-.html extension, a 302 to /login?returnURL=... for the rest
(image routes included). A wrong API key is refused with 401 on every path, even on an open
server.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from sandbox.httpd import Request, Response
from sandbox.images import STASH_DEFAULT_SVG, STASH_LOGIN_HTML, sniff_content_type
from sandbox.stash_emu.auth import AuthResult, Session
from sandbox.stash_emu.gql import Engine, root_fields
from sandbox.stash_emu.state import RequestContext, State

_IMAGE_ROUTE = re.compile(
    r"^/(scene|performer|studio|tag|group|movie)/([^/]+)/(screenshot|image|frontimage|backimage)$"
)
_VALID_IMAGES = {
    ("scene", "screenshot"),
    ("performer", "image"),
    ("studio", "image"),
    ("tag", "image"),
    ("group", "frontimage"),
    ("group", "backimage"),
    ("movie", "frontimage"),
    ("movie", "backimage"),
}


def _json(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, "application/json", dict(headers or {}))


def _not_found() -> Response:
    return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")


@dataclass
class HttpOptions:
    """Knobs of the HTTP surface (mutate on the emulator's `http` attribute)."""

    external_host: str | None = None  # e.g. "https://stash.example.com": base URL of image paths


class StashApp:
    """`App` for sandbox.httpd.LoopbackServer."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.engine = Engine(state.mode.tag)
        self.options = HttpOptions()

    # --- entry ---------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> tuple[str, Response]:
        path = request.path
        if path == "/login":
            return "login", Response(200, STASH_LOGIN_HTML, "text/html; charset=utf-8")
        body, body_error = self._body(request) if path == "/graphql" else (None, "")
        label = self._label(request, body)
        result, session = self.state.auth.check(
            request.header("ApiKey"), request.param("apikey"), request.cookie("session")
        )
        if result is AuthResult.REJECTED:
            return label, Response(401, b"", headers={"WWW-Authenticate": "FormBased"})
        if result is AuthResult.ANONYMOUS:
            return label, self._unauthenticated(request)
        if path == "/graphql":
            response = self._graphql(request, body, body_error, session)
        else:
            response = self._route(request)
        if session is not None and self.state.auth.has_credentials:
            fresh = self.state.auth.refresh(session)
            max_age = self.state.auth.max_session_age
            response.headers["Set-Cookie"] = (
                f"session={fresh.value}; Path=/; Max-Age={max_age}; HttpOnly"
            )
        return label, response

    def _label(self, request: Request, body: object) -> str:
        if request.path == "/graphql":
            query = body.get("query") if isinstance(body, dict) else None
            if not isinstance(query, str):
                return "graphql:?"
            document, _ = self.engine.documents.get(query)
            fields = root_fields(document, body.get("operationName"))  # type: ignore[union-attr]
            return "graphql:" + (",".join(fields) if fields else "?")
        match = _IMAGE_ROUTE.match(request.path)
        if match is not None and (match.group(1), match.group(3)) in _VALID_IMAGES:
            return f"image:{match.group(1)}-{match.group(3)}"
        return "not-found"

    def _unauthenticated(self, request: Request) -> Response:
        ext = posixpath.splitext(request.path)[1]
        if request.path == "/graphql" or (ext and ext != ".html"):
            return Response(401, b"", headers={"WWW-Authenticate": "FormBased"})
        prefix = request.header("X-Forwarded-Prefix") or ""
        target = request.target if "?" in request.target else request.path
        query = urlencode({"returnURL": prefix + target})
        return Response(
            302, b"", "text/html; charset=utf-8", {"Location": f"{prefix}/login?{query}"}
        )

    def _route(self, request: Request) -> Response:
        match = _IMAGE_ROUTE.match(request.path)
        if match is None or request.method not in ("GET", "HEAD"):
            return _not_found()
        return self._image(match.group(1), match.group(2), match.group(3), request)

    # --- graphql -------------------------------------------------------------------------------

    def _body(self, request: Request) -> tuple[object, str]:
        """The GraphQL request (POST JSON body or GET parameters) and a decoding error."""
        try:
            if request.method == "GET":
                variables = request.param("variables")
                return {
                    "query": request.param("query"),
                    "operationName": request.param("operationName"),
                    "variables": json.loads(variables) if variables else None,
                }, ""
            return json.loads(request.body.decode("utf-8")), ""
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return None, str(exc)

    def _base_url(self, request: Request) -> str:
        if self.options.external_host:
            return self.options.external_host.rstrip("/")
        prefix = request.header("X-Forwarded-Prefix") or ""
        return f"http://{request.host}{prefix}"

    def _graphql(
        self, request: Request, body: object, body_error: str, session: Session | None
    ) -> Response:
        if request.method not in ("POST", "GET"):
            return Response(405, b"", headers={"Allow": "GET, POST"})
        if body_error:
            message = f"json request body could not be decoded: {body_error}"
            return _json(400, {"errors": [{"message": message}], "data": None})
        ctx = RequestContext(self.state, self._base_url(request), session)
        self.state.chain.enter(session)
        try:
            outcome = self.engine.execute(body, ctx)
        finally:
            self.state.chain.leave()
        return _json(outcome.status, outcome.payload, {"Cache-Control": "no-store"})

    # --- images --------------------------------------------------------------------------------

    def _image(self, kind: str, raw_id: str, which: str, request: Request) -> Response:
        if (kind, which) not in _VALID_IMAGES or not raw_id.isdigit():
            return _not_found()
        obj_id = int(raw_id)
        library, extras = self.state.library, self.state.extras
        data: bytes | None
        if kind == "scene":
            scene = library.scenes.get(obj_id)
            if scene is None:
                return _not_found()
            data = scene.cover
        elif kind in ("performer", "studio"):
            obj = (library.performers if kind == "performer" else library.studios).get(obj_id)
            if obj is None:
                return _not_found()
            data = obj.image
        elif kind == "tag":
            if obj_id not in library.tags:
                return _not_found()
            data = extras.get("tag", obj_id, "image")  # type: ignore[assignment]
        else:
            if obj_id not in library.groups:
                return _not_found()
            data = extras.get(
                "group", obj_id, "front_image" if which == "frontimage" else "back_image"
            )  # type: ignore[assignment]
            if data is None and which == "backimage":
                return _not_found()
        if request.param("default") == "true" or not data:
            data = STASH_DEFAULT_SVG
        return Response(200, data, sniff_content_type(data))
