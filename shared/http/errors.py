"""One error shape for every 4xx and 5xx: ``{code, message, field}``; never the input, which may be personal data."""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.http.messages import localised
from shared.persistence.database import is_database_unavailable
from shared.refusals import RateLimited, Refused
from shared.runtime.metrics import RATE_LIMITED

log = structlog.get_logger(__name__)


class ApiError(Refused):
    """A refusal raised by a route, status first; ``extra`` adds fields to the error body."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra):
        super().__init__(code, message, field, status, **extra)


def error_body(code: str, message: str, field: str | None = None, *, message_zh: str | None = None, **extra) -> dict:
    """``{code, message, field}``, the message in the request's language (Chinese with ``message_en`` beside it,
    unless the caller prefers English)."""
    return {"code": code, **localised(code, message, message_zh), "field": field, **extra}


def error_response(status: int, code: str, message: str, field: str | None = None, **extra) -> JSONResponse:
    return JSONResponse(error_body(code, message, field, **extra), status_code=status)


# pydantic error type -> (status, stable code). The message is ours; pydantic's may quote the input.
_VALIDATION_CODES = {
    "json_invalid": (400, "malformed_json", "the body is not valid JSON"),
    "json_type": (400, "malformed_json", "the body must be a JSON object"),
    "missing": (422, "missing_field", "this field is required"),
    "extra_forbidden": (422, "unknown_field", "this field is not accepted"),
    "string_too_long": (422, "too_long", "this text is too long"),
    "string_too_short": (422, "too_short", "this text is too short"),
    "too_long": (422, "too_many", "too many items"),
    "greater_than_equal": (422, "out_of_range", "this value is too small"),
    "less_than_equal": (422, "out_of_range", "this value is too large"),
    "string_pattern_mismatch": (422, "invalid_format", "this value has the wrong format"),
}


def _field_of(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


async def _on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    status, code, message = _VALIDATION_CODES.get(first["type"], (422, "invalid_field", "this value is not valid"))
    if first["type"].endswith("_type") or first["type"].endswith("_parsing"):
        code, message = "wrong_type", f"expected {first['type'].split('_')[0]}"
    if first["type"] == "json_invalid":
        return error_response(status, code, message)
    return error_response(status, code, message, _field_of(tuple(first["loc"])))


async def _on_refused(_: Request, exc: Refused) -> JSONResponse:
    response = error_response(exc.status, exc.code, exc.message, exc.field, **exc.extra)
    if isinstance(exc, RateLimited):
        told_to_wait(response, exc)
    return response


def told_to_wait(response, exc: RateLimited):
    """A 429 in any shape: when to try again, and counted by the limit it hit."""
    response.headers["Retry-After"] = str(exc.retry_after)
    RATE_LIMITED.labels(code=exc.code).inc()
    return response


_HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               406: "not_acceptable", 408: "body_timeout", 413: "body_too_large", 415: "unsupported_media_type"}


async def _on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, code.replace("_", " "))


def _is_bad_value(exc: Exception) -> bool:
    """A value the database or the clock cannot hold (a number beyond its range, a date out of reach): the caller's
    input, not our fault."""
    if isinstance(exc, OverflowError):
        return True
    cause = getattr(exc, "orig", None)
    return isinstance(cause, asyncpg.exceptions.DataError) or isinstance(getattr(cause, "__cause__", None),
                                                                         asyncpg.exceptions.DataError)


_CONCURRENT = (asyncpg.exceptions.UniqueViolationError, asyncpg.exceptions.ExclusionViolationError,
               asyncpg.exceptions.SerializationError, asyncpg.exceptions.DeadlockDetectedError)


def _is_concurrent_edit(exc: Exception) -> bool:
    """Two writers at the same moment (two admins saving the same category): one wins, the other must read again."""
    cause = getattr(exc, "orig", None)
    return isinstance(cause, _CONCURRENT) or isinstance(getattr(cause, "__cause__", None), _CONCURRENT)


async def _on_value_error(request: Request, exc: Exception) -> JSONResponse:
    """The safety net behind the edge's checks: never a 500 for a value out of range or an edit that lost a race,
    never the value echoed."""
    if _is_concurrent_edit(exc):
        log.warning("concurrent edit", path=request.url.path, error=type(getattr(exc, "orig", exc)).__name__)
        return error_response(409, "concurrent_edit", "someone changed this at the same moment; read it again and "
                              "retry")
    if not _is_bad_value(exc):
        return await _on_unexpected(request, exc)
    log.warning("value out of range", path=request.url.path, error=type(exc).__name__)
    return error_response(422, "out_of_range", "a value is out of the range this service can hold")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_database_unavailable(exc):
        log.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
        response = error_response(503, "database_unavailable", "the database is unavailable; try again shortly")
        response.headers["Retry-After"] = "2"
        return response
    log.exception("unhandled error", path=request.url.path, error=type(exc).__name__)
    return error_response(500, "internal_error", "something went wrong on our side; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Refused, _on_refused)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_value_error)
    app.add_exception_handler(OverflowError, _on_value_error)
    app.add_exception_handler(Exception, _on_unexpected)
