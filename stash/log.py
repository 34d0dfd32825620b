"""Stash's stderr log protocol: levelled lines, progress, and redaction of every secret.

Standard library only (every hook imports it). Writes UTF-8 bytes to stderr, never stdout:
`\\x01<level>\\x02<message>\\n`, every line of a message prefixed, each line capped far below
Stash's 64 KiB scanner limit, flushed per line. Progress (`\\x01p\\x02<0..1>`) only for tasks.
With `hide_paths`, file paths and names are hidden too (`stash.log_paths`, loaded only then).
Debug lines exist only with `debug_logging`, and then go out at info with a "[debug] " prefix
because Stash's default level hides debug. Every line passes the redactor first.
"""

from __future__ import annotations

import _thread  # threading's own lock primitive; `threading` costs a hook 2 ms to import
import io
import re
import sys
from collections.abc import Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stash.log_paths import PathHider

__all__ = [
    "MAX_LINES_PER_MESSAGE",
    "MAX_LINE_BYTES",
    "REDACTED",
    "LogStream",
    "Redactor",
    "StashLog",
    "secret_forms",
]

MAX_LINE_BYTES = 4096  # per line, message part; Stash's scanner dies at 64 KiB
MAX_LINES_PER_MESSAGE = 200
REDACTED = "***"
_MIN_SECRET_LEN = 4  # shorter values would blank ordinary words

_LEVEL_BYTES = {"trace": b"t", "debug": b"d", "info": b"i", "warning": b"w", "error": b"e"}

# `name=value`, `name: value`, `"name": "value"` for every credential-like name, and
# `scheme://user:password@` in URLs. Values stop at separators so the rest stays readable.
_KEY_VALUE_PATTERN = (
    r"(?i)\b(x-plex-token|plex[_-]?token|access[_-]?token|auth[_-]?token|token|api[_-]?key"
    r"|session(?:[_-]?cookie)?|cookie|authorization)"
    r"(\"?'?\s*[=:]\s*(?:bearer\s+|session=)?[\"']?)"
    r"([^\s&\"',;<>}\]]+)"
)
_URL_USERINFO_PATTERN = r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"
# Lower-case words one of the patterns needs: text without them skips the regexes, so a
# hook never pays for compiling them.
_TRIGGERS = ("token", "key", "session", "cookie", "authorization", "://")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_compiled: list[re.Pattern[str]] = []


def _patterns() -> list[re.Pattern[str]]:
    if not _compiled:
        _compiled.extend([re.compile(_KEY_VALUE_PATTERN), re.compile(_URL_USERINFO_PATTERN)])
    return _compiled


def secret_forms(secret: str) -> list[str]:
    """`secret` as text may carry it: verbatim and, when they differ, URL-encoded."""
    forms = [secret]
    if not set(secret) <= _URL_SAFE:  # its URL-encoded forms differ: match those too
        from urllib.parse import quote, quote_plus  # not on the hook's usual path

        # path (keeps "/"), fully escaped, and query/form (space as "+") encodings
        forms += [quote(secret, safe=""), quote(secret), quote_plus(secret)]
    return list(dict.fromkeys(forms))


class Redactor:
    """Replaces registered secrets and credential-shaped text with `***`.

    Secrets are matched verbatim and in their URL-encoded form; generic patterns catch
    values we were never told about (a token inside a URL an exception quotes).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self._paths: PathHider | None = None  # the hide_paths setting (stash.log_paths)
        for secret in secrets:
            self.add(secret)

    @property
    def hide_paths(self) -> bool:
        return self._paths is not None

    @hide_paths.setter
    def hide_paths(self, on: bool) -> None:
        """The `hide_paths` setting: file paths and names out of every line and output."""
        if on and self._paths is None:
            from stash.log_paths import PathHider  # only once the setting is on

            self._paths = PathHider()
        elif not on:
            self._paths = None

    def allow_path_text(self, text: str) -> None:
        """Keep `text` even with `hide_paths` (the path-map suggestion users must type)."""
        if self._paths is not None:
            self._paths.allow(text)

    def add(self, secret: str | None) -> None:
        """Register a value that must never be printed (ignored when too short to matter)."""
        if not isinstance(secret, str):
            return
        secret = secret.strip()
        if len(secret) < _MIN_SECRET_LEN:
            return
        for form in secret_forms(secret):
            if form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)  # longest first: no partial leftovers

    def redact(self, text: str) -> str:
        text = self._redact_secrets(text)
        return self._paths.hide(text) if self._paths is not None else text

    def _redact_secrets(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        lowered = text.lower()
        if not any(word in lowered for word in _TRIGGERS):
            return text
        key_value, userinfo = _patterns()
        text = userinfo.sub(lambda m: m.group(1) + REDACTED + "@", text)
        return key_value.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)

    def redact_obj(self, obj: object) -> object:
        """A copy of a JSON-like value with every string (keys included) redacted."""
        if isinstance(obj, str):
            text = self._redact_secrets(obj)
            return self._paths.hide_value(text) if self._paths is not None else text
        if isinstance(obj, dict):
            return {self.redact_obj(k): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact_obj(v) for v in obj]
        return obj


def _escape_controls(line: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line)


def _utf8(text: str) -> bytes:
    """UTF-8 bytes; a path decoded under a non-UTF-8 locale gets its original bytes back."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def _cap(line: str, limit: int) -> bytes:
    data = _utf8(line)
    if len(data) <= limit:
        return data
    marker = f" … [+{len(data) - limit} bytes]".encode()
    cut = data[: max(0, limit - len(marker))].decode("utf-8", "ignore")  # whole characters
    return cut.encode("utf-8") + marker


class StashLog:
    """The plugin's one logger. Thread-safe; a closed pipe silences it instead of crashing.

    `stream` is a binary stream (default: the process's real stderr buffer). The caller
    enables `progress_enabled` for tasks and `debug_enabled` from the `debug_logging` setting.
    """

    def __init__(
        self,
        stream: io.RawIOBase | io.BufferedIOBase | None = None,
        *,
        redactor: Redactor | None = None,
        progress_enabled: bool = False,
        debug_enabled: bool = False,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        if stream is None:
            stream = sys.stderr.buffer
        self._stream = stream
        self.redactor = redactor if redactor is not None else Redactor()
        self.progress_enabled = progress_enabled
        self.debug_enabled = debug_enabled
        self.max_line_bytes = max_line_bytes
        self._lock = _thread.allocate_lock()
        self._broken = False

    def add_secret(self, secret: str | None) -> None:
        self.redactor.add(secret)

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def trace(self, message: object) -> None:
        self.debug(message)

    def debug(self, message: object) -> None:
        if self.debug_enabled:
            self._emit(b"i", str(message), prefix="[debug] ")

    def info(self, message: object) -> None:
        self._emit(b"i", str(message))

    def warning(self, message: object) -> None:
        self._emit(b"w", str(message))

    def error(self, message: object) -> None:
        self._emit(b"e", str(message))

    def log(self, level: str, message: object) -> None:
        """Log at a level by name (`trace`, `debug`, `info`, `warning`, `error`)."""
        if level in ("trace", "debug"):
            self.debug(message)
        else:
            self._emit(_LEVEL_BYTES.get(level, b"e"), str(message))

    def progress(self, fraction: float) -> None:
        """Report task progress in 0..1 (clamped); ignored for hooks and NaN."""
        if not self.progress_enabled or fraction != fraction:
            return
        value = min(1.0, max(0.0, float(fraction)))
        self._write([b"\x01p\x02" + f"{value:.4f}".encode() + b"\n"])

    def _emit(self, level: bytes, message: str, prefix: str = "") -> None:
        lines = [ln for ln in self.redact(message).splitlines() if ln.strip()]
        if len(lines) > MAX_LINES_PER_MESSAGE:
            dropped = len(lines) - MAX_LINES_PER_MESSAGE + 1
            lines = [*lines[: MAX_LINES_PER_MESSAGE - 1], f"… [+{dropped} more lines]"]
        head = b"\x01" + level + b"\x02"
        self._write(
            [
                head + _cap(prefix + _escape_controls(ln), self.max_line_bytes) + b"\n"
                for ln in lines
            ]
        )

    def _write(self, chunks: list[bytes]) -> None:
        with self._lock:
            if self._broken:
                return
            try:
                for chunk in chunks:
                    self._stream.write(chunk)
                    self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._broken = True  # Stash closed the pipe; nobody is listening any more


class LogStream(io.TextIOBase):
    """A text stream that turns writes into log lines (stray `print`s, library chatter).

    Installed as `sys.stdout`/`sys.stderr` so nothing but the result reaches stdout and
    nothing escapes the redactor. Lines are held until `drain()` (the end of the run) so a
    secret learned after the write is still redacted; past `hold_lines` they go out early.
    `flush()` from a library does not release them.
    """

    def __init__(self, log: StashLog, level: str, prefix: str = "", hold_lines: int = 200) -> None:
        super().__init__()
        self._log = log
        self._level = level
        self._prefix = prefix
        self._hold_lines = hold_lines
        self._pending = ""
        self._held: list[str] = []

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, _, self._pending = self._pending.rpartition("\n")
            self._held.extend(ln for ln in complete.split("\n") if ln.strip())
            if len(self._held) > self._hold_lines:
                self._release()
        return len(text)

    def flush(self) -> None:
        """Nothing to do: held lines are released by `drain()`."""

    def drain(self) -> None:
        """Log every held line and any unterminated rest."""
        pending, self._pending = self._pending, ""
        if pending.strip():
            self._held.append(pending)
        self._release()

    def _release(self) -> None:
        held, self._held = self._held, []
        for line in held:
            self._log.log(self._level, self._prefix + line)
