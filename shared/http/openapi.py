"""The OpenAPI document as the service answers: every status an operation can give, with the one error shape
(``{code, message, field}``), and who may call it (the access matrix's bearer roles as a security requirement).

FastAPI documents a route's success and its validation error; the rest comes from the edge every route shares:
the matrix (401, 403), the hostile-input and body checks (422, 413, 408), the database (503), the shutdown gate
(503 on writes), scope and path ids (404), state conflicts on writes (409), and what a route declares itself (429
where a rate limit applies, Open311's own error list).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from shared.http.access import AccessMatrix

PROBLEM = {
    "type": "object", "required": ["code", "message", "field"], "additionalProperties": True,
    "properties": {"code": {"type": "string", "description": "Stable, for programs: `forbidden_role`, `not_found`…"},
                   "message": {"type": "string", "description": "For people, in Chinese unless Accept-Language "
                               "prefers English; never echoes the input"},
                   "message_en": {"type": "string", "description": "The English message, beside a Chinese one"},
                   "field": {"type": ["string", "null"], "description": "The field, parameter or header at fault"}},
}
_REASONS = {400: "The body could not be read as its media type (malformed JSON, a broken form)", 401: "No valid credential",
            403: "The credential does not admit this (role, scope)", 404: "No such thing, or not within your scope",
            408: "The body stopped coming", 409: "The state does not allow it now (stale version, already done)",
            413: "The body is over the limit", 422: "A field, parameter or value is not acceptable",
            429: "Too many tries; see Retry-After", 503: "The database is unavailable, or the service is stopping"}
_WRITES = ("post", "put", "patch", "delete")


# Open311's own error list (GeoReport v2): what its routes answer for everything but the edge's 422 and 503.
OPEN311_ERRORS = {"type": "array", "items": {"type": "object", "required": ["code", "description"], "properties": {
    "code": {"type": "integer"}, "description": {"type": "string"}}}}
_OPEN311 = "/open311/"


def _problem(status: int, path: str = "") -> dict:
    if path.startswith(_OPEN311) and status in (400, 401, 403, 404, 409, 429):
        return {"description": _REASONS[status], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Open311Errors"}},
            "text/xml": {"schema": {"type": "string"}}}}
    return {"description": _REASONS[status], "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Problem"}}}}


def truthful_openapi(app: FastAPI, matrix: AccessMatrix) -> Callable[[], dict]:
    """``app.openapi`` for a service: FastAPI's document with every shared status, security and roles added."""
    plain = app.openapi

    def document() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = plain()
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM
        components["schemas"]["Open311Errors"] = OPEN311_ERRORS
        components["schemas"].pop("HTTPValidationError", None)
        components["schemas"].pop("ValidationError", None)
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A gridlink token (`gridlink token --role R [--area A]`)"}
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                access = matrix.entries[f"{method.upper()} {path}"]
                responses = operation.setdefault("responses", {})
                declared = {int(code) for code in responses if code.isdigit()}
                statuses = {422, 503}
                if access.kind == "roles":
                    statuses |= {401, 403}
                    operation["security"] = [{"bearer": []}]
                    operation["x-gridlink-roles"] = sorted(access.roles)
                elif access.kind != "public":
                    statuses |= {401, 403}
                    operation["x-gridlink-access"] = access.kind
                if "{" in path or access.kind == "roles":
                    statuses.add(404)  # an id, or a record outside the caller's scope
                if method in _WRITES:
                    statuses |= {408, 409, 413}
                if "requestBody" in operation:
                    statuses.add(400)  # a body that is not what its media type says (malformed JSON, a broken form)
                if path.startswith(_OPEN311):
                    statuses |= {400, 404, 429 if method == "post" else 400}
                for status in sorted(statuses):
                    if status == 422 or status not in declared:
                        responses[str(status)] = _problem(status, path)
        app.openapi_schema = schema
        return schema

    return document


#: ``responses=`` of a route a rate limit or lockout applies to.
RATE_LIMITED = {429: {**_problem(429), "headers": {"Retry-After": {
    "description": "Seconds until a try may succeed", "schema": {"type": "integer"}}}}}


#: ``responses=`` of a route that may name a record in its body (an open case to join) that is not there.
NAMES_A_RECORD = {404: _problem(404)}
