"""ASGI middleware: body size limit, control characters refused, the write gate used on shutdown, correlation ids,
request logs and metrics."""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import parse_qsl
from uuid import uuid4

import structlog
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.errors import error_body
from shared.http.messages import LANGUAGE, preferred_language
from shared.runtime.metrics import HTTP_DURATION, HTTP_REQUESTS

log = structlog.get_logger("gridlink.http")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def _send_error(send: Send, status: int, code: str, message: str, field: str | None = None) -> None:
    body = json.dumps(error_body(code, message, field), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming, before any parsing.

    ``overrides`` maps path prefixes (uploads) to their own, larger limits.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None,
                 idle_seconds: float = 30):
        self.app, self.max_bytes, self.idle_seconds = app, max_bytes, idle_seconds
        self.overrides = sorted((overrides or {}).items(), key=lambda item: -len(item[0]))

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.overrides:
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes = self._limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            return await _send_error(send, 413, "body_too_large", f"the body exceeds {max_bytes} bytes")
        seen = 0
        started = body_done = False

        async def limited_receive() -> Message:
            nonlocal seen, body_done
            if body_done:  # after the body, receive() only waits for the client to leave (a stream): not timed
                return await receive()
            try:  # a client that stops sending its body holds a connection and a worker: not for ever
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                raise _TooSlow() from None
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, "body_too_large", f"the body exceeds {max_bytes} bytes")
        except _TooSlow:
            if not started:
                await _send_error(send, 408, "body_timeout", f"no part of the body came for {self.idle_seconds:g} s")


# HTTPExceptions, so that FastAPI's body parsing lets them through (it turns any other error into a 400) and the
# error handlers answer them as 413 and 408.
class _TooLarge(HTTPException):
    def __init__(self):
        super().__init__(413)


class _TooSlow(HTTPException):
    def __init__(self):
        super().__init__(408)


# Control characters no person types and PostgreSQL or a log line should never see (tab, newline and carriage
# return are text): raw, percent-encoded in a query or form, or as a JSON escape not itself escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PERCENT_CONTROL = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
_JSON_CONTROL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
_TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded")
# What no route takes and a parser, the database or the clock chokes on: nesting deeper than any request of ours,
# numbers beyond 64 bits (or a float's range), dates outside the years a case can have.
MAX_DEPTH = 16
MAX_INTEGER = 2**63 - 1
MAX_FLOAT = 1e15
YEARS = range(1900, 2201)
_MAYBE_BIG = re.compile(rb"\d{16,}|\d[eE]\+?\d{2,}|Infinity|NaN")
_MAYBE_DATE = re.compile(rb"\d{4,}-\d\d-\d\d|[+-]\d{4,}-")
_DATE = re.compile(r"^([+-]?\d{4,})-\d\d-\d\d(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_DIGITS = re.compile(r"^[+-]?\d{19,}$")
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def _depth(body: bytes) -> int:
    """How deep a JSON text nests (strings skipped), without parsing it: a parser recurses once a level."""
    depth = deepest = 0
    in_string = escaped = False
    for token in _STRUCTURE.finditer(body):
        char = token.group()
        if in_string:
            if escaped:
                escaped = False  # the escaped character itself; the regex hands over only structural ones
            elif char == b"\\":
                escaped = token.end() == len(body) or body[token.end():token.end() + 1] in b'"\\'
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _bad_text(value: str, *, number: bool = False) -> str | None:
    """What is wrong with one string, if anything: a control character, a date out of reach, or (where a string
    stands for a number, as in a query) digits beyond 64 bits."""
    if _CONTROL.search(value):
        return "invalid_character"
    date = _DATE.match(value)
    if date and int(date.group(1)) not in YEARS:
        return "out_of_range"
    if number and _DIGITS.match(value):
        return "out_of_range"
    return None


def _first_problem(value, path: tuple = ()) -> tuple[str, str] | None:
    """The first string, key or number of a parsed body that no route should see: (code, dotted path)."""
    where = ".".join(map(str, path)) or "body"
    if isinstance(value, str):
        code = _bad_text(value)
        return (code, where) if code else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return ("out_of_range", where) if abs(value) > MAX_INTEGER else None
    if isinstance(value, float):
        return ("out_of_range", where) if not abs(value) <= MAX_FLOAT else None
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in items:
        if isinstance(key, str) and _CONTROL.search(key):
            return ("invalid_character", ".".join(map(str, (*path, key))))
        found = _first_problem(inner, (*path, key))
        if found:
            return found
    return None


_MESSAGES = {"invalid_character": "control characters (such as NUL) are not accepted",
             "out_of_range": "a number or date is out of the range this service accepts",
             "too_deep": f"the body nests deeper than {MAX_DEPTH} levels",
             "invalid_encoding": "the body is not UTF-8"}


class HostileInput:
    """Refuse, before any route, parser, database or log line sees it, a request whose path, query, JSON or form
    body holds a control character (a NUL above all: ``invalid_character``), bytes that are not UTF-8
    (``invalid_encoding``), a number beyond 64 bits or a date
    outside 1900-2200 (``out_of_range``), or JSON nested deeper than ``MAX_DEPTH`` (``too_deep``): a 422 with the
    field. Uploads (multipart) are binary and pass; their text fields are checked where they are read. The cheap
    scans come first: an ordinary body is parsed here only when it holds something that looks like trouble."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _CONTROL.search(scope["path"]):
            return await _refuse(send, "invalid_character", "path")
        query = scope.get("query_string", b"")
        if query:
            found = next(((code, k or "query") for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                          for code in [_bad_text(k) and "invalid_character" or _bad_text(v, number=True)] if code),
                         None)
            if found is None and _PERCENT_CONTROL.search(query):
                found = ("invalid_character", "query")
            if found:
                return await _refuse(send, *found)
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or content_type not in _TEXT_BODIES:
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        found = self._problem_in(body, content_type)
        if found is not None:
            return await _refuse(send, *found)
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    @staticmethod
    def _problem_in(body: bytes, content_type: bytes) -> tuple[str, str] | None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return ("invalid_encoding", "body")
        if content_type == b"application/json":
            if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _depth(body) > MAX_DEPTH:
                return ("too_deep", "body")
            if not (_JSON_CONTROL.search(body) or _MAYBE_BIG.search(body) or _MAYBE_DATE.search(body)):
                return None  # a raw control character is invalid JSON anyway: the route's parser refuses it
            try:
                return _first_problem(json.loads(body))
            except (ValueError, RecursionError):
                return None  # not JSON (or too many digits for Python): the route's parser refuses it
        if not (_PERCENT_CONTROL.search(body) or _CONTROL.search(body.decode("latin-1"))
                or _MAYBE_DATE.search(body) or _MAYBE_BIG.search(body)):
            return None
        return next(((code, k) for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                     for code in [_bad_text(k) and "invalid_character" or _bad_text(v)] if code), None)


def _replay(messages: list[Message], receive: Receive | None = None) -> Receive:
    """A receive that hands over what was read already, then (for a disconnect) the real one."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        if receive is not None:
            return await receive()
        return {"type": "http.disconnect"}

    return replayed


async def _refuse(send: Send, code: str, field: str) -> None:
    await _send_error(send, 422, code, _MESSAGES[code], field)


class WriteGate:
    """While closed (on shutdown, before the drain), writes get 503 and reads go on."""

    def __init__(self, app: ASGIApp, state):
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and not self.state.accepting_writes:
            return await _send_error(send, 503, "shutting_down", "the service is stopping; try again shortly")
        await self.app(scope, receive, send)


class RequestContext:
    """Binds a correlation id to the logs, counts and times the request under its route template."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        raw = headers.get(b"x-correlation-id", b"").decode("latin-1")
        correlation_id = raw if 0 < len(raw) <= 64 and raw.replace("-", "").isalnum() else str(uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        language = LANGUAGE.set(preferred_language(headers.get(b"accept-language", b"").decode("latin-1")))
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", correlation_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            LANGUAGE.reset(language)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_DURATION.labels(scope["method"], template).observe(elapsed)
            if template not in ("/healthz", "/readyz", "/metrics"):
                log.info("request", method=scope["method"], route=template, status=status,
                         ms=round(elapsed * 1000, 1))
