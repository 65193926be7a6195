"""Open311's wire format: JSON or XML by the path's extension, the spec's error list, its parameters (empty is
absent), dates with a zone, pages; one route class answers every failure of the router in that shape."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from enum import StrEnum

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from services.intake.api.context import settings_of
from shared.http.errors import told_to_wait
from shared.refusals import RateLimited, Refused

FORMATS = {"json", "xml"}
DEFAULT_LIMIT = 1000
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
             "service_request_updates": "request_update", "errors": "error"}


class RequestStatus(StrEnum):
    """A service request's status as GeoReport v2 knows it."""

    OPEN = "open"
    CLOSED = "closed"


class ExtendedStatus(StrEnum):
    """The widely used extended statuses of updates (mySociety's servicerequestupdates)."""

    OPEN = "OPEN"
    FOR_TRIAGE = "FOR_TRIAGE"
    IN_PROGRESS = "IN_PROGRESS"
    FIXED = "FIXED"
    CLOSED = "CLOSED"


class Open311Error(Exception):
    def __init__(self, status: int, code: str, description: str, field: str | None = None):
        super().__init__(description)
        self.status = status
        self.description = f"{code}{f' ({field})' if field else ''}: {description}"


class Open311Route(APIRoute):
    """Every failure of an Open311 route, its format's and its parameters' included, in the spec's error list and
    the format the path asks for (JSON when the format itself is unknown)."""

    def get_route_handler(self):
        handle = super().get_route_handler()

        async def answer_in_the_spec_s_shape(request: Request) -> Response:
            try:
                return await handle(request)
            except Open311Error as exc:
                return error(request.path_params.get("fmt", "json"), exc)
            except RateLimited as exc:  # the spec's error list, with the status and the wait a client needs
                return told_to_wait(error(request.path_params.get("fmt", "json"),
                                          Open311Error(429, exc.code, exc.message, exc.field)), exc)
            except Refused as exc:
                return error(request.path_params.get("fmt", "json"),
                             Open311Error(404 if exc.status == 404 else 400, exc.code, exc.message, exc.field))

        return answer_in_the_spec_s_shape


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


def _xml(root: str, item: str | None, payload) -> bytes:
    def fill(element: ET.Element, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, list):
                    wrapper = ET.SubElement(element, key)
                    for entry in inner:
                        fill(ET.SubElement(wrapper, _SINGULAR.get(key, "item")), entry)
                else:
                    fill(ET.SubElement(element, key), inner)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = str(value)

    top = ET.Element(root)
    if item is None:
        fill(top, payload)
    else:
        for entry in payload:
            fill(ET.SubElement(top, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def answer(fmt: str, payload, *, root: str, item: str | None, status: int = 200) -> Response:
    """The payload in the asked format: XML under ``root`` (each entry an ``item``), or JSON."""
    if fmt == "xml":
        return Response(_xml(root, item, payload), status_code=status, media_type="text/xml; charset=utf-8")
    return JSONResponse(payload, status_code=status)


def error(fmt: str, exc: Open311Error) -> Response:
    body = [{"code": exc.status, "description": exc.description}]
    return answer(fmt if fmt in FORMATS else "json", body, root="errors", item="error", status=exc.status)


def format_of(fmt: str) -> str:
    """The path's extension: json or xml (anything else is an unknown resource)."""
    if fmt not in FORMATS:
        raise Open311Error(404, "unknown_format", "formats are json and xml", "format")
    return fmt


def param(values, name: str) -> str | None:
    """Empty and absent are the same answer, as the spec asks."""
    value = values.get(name)
    return value.strip() if value and value.strip() else None


def check_jurisdiction(request: Request, values) -> None:
    given = param(values, "jurisdiction_id")
    if given is not None and given != settings_of(request).jurisdiction_id:
        raise Open311Error(404, "unknown_jurisdiction", "this endpoint does not serve that jurisdiction",
                           "jurisdiction_id")


def date_param(values, name: str) -> datetime | None:
    raw = param(values, name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, "invalid_date", "dates are ISO 8601 with a zone", name) from None
    if value.tzinfo is None:
        raise Open311Error(400, "invalid_date", "dates are ISO 8601 with a zone", name)
    return value


def page_of(values) -> tuple[int, int]:
    """The page asked for and its size (at most ``DEFAULT_LIMIT``)."""
    def number(name: str, default: int, top: int) -> int:
        raw = param(values, name)
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise Open311Error(400, "invalid_field", f"{name} must be a whole number from 1 to {top}", name)
        return int(raw)

    return number("page", 1, 1_000_000), number("page_size", DEFAULT_LIMIT, DEFAULT_LIMIT)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
