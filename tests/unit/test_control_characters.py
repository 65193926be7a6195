"""Control characters (a NUL above all) in a path, a query, a JSON or a form body are refused at the edge with
422 invalid_character and the field, before a route, the database or a log line sees them; ordinary text, tabs
and newlines, escaped backslashes and uploads pass. Ids and values beyond what the database or the clock holds
are a 422 too."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Form, UploadFile
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from shared.http.errors import install_error_handlers
from shared.http.middleware import BodyLimit, ControlCharacters
from shared.http.params import RowId


class Contact(BaseModel):
    name: str


class Report(BaseModel):
    description: str
    contact: Contact | None = None


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(ControlCharacters)
    app.add_middleware(BodyLimit, max_bytes=4096)

    @app.post("/reports")
    async def report(body: Report) -> dict:
        return {"description": body.description}

    @app.post("/form")
    async def form(name: str = Form()) -> dict:
        return {"name": name}

    @app.post("/upload")
    async def upload(file: UploadFile) -> dict:
        return {"size": len(await file.read())}

    @app.get("/cases/{case_id}")
    async def case(case_id: str, q: str = "") -> dict:
        return {"case_id": case_id, "q": q}

    return app


async def _call(method: str, url: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        return await client.request(method, url, **kwargs)


@pytest.mark.parametrize(("method", "url", "kwargs", "field"), [
    ("POST", "/reports", {"content": b'{"description": "ok", "contact": {"name": "\\u5f20\\u0000\\u4e09"}}',
                          "headers": {"content-type": "application/json"}}, "contact.name"),
    ("POST", "/reports", {"content": b'{"description": "bell \\u0007"}',
                          "headers": {"content-type": "application/json; charset=utf-8"}}, "description"),
    ("POST", "/form", {"content": b"name=a%00b", "headers": {"content-type": "application/x-www-form-urlencoded"}},
     "name"),
    ("GET", "/cases/x?q=a%00b", {}, "q"),
    ("GET", "/cases/a%00b", {}, "path"),
])
async def test_a_control_character_anywhere_a_person_types_is_refused_naming_the_field(method, url, kwargs, field):
    response = await _call(method, url, **kwargs)
    assert response.status_code == 422
    assert response.json() == {"code": "invalid_character", "field": field,
                               "message": "control characters (such as NUL) are not accepted"}


async def test_ordinary_text_tabs_newlines_escaped_backslashes_and_uploads_pass():
    ok = await _call("POST", "/reports", content=b'{"description": "line\\none\\ttab \\\\u0000 literal"}',
                     headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["description"] == "line\none\ttab \\u0000 literal"
    upload = await _call("POST", "/upload", files={"file": ("x.bin", b"\x00\x01binary", "application/octet-stream")})
    assert upload.status_code == 200 and upload.json() == {"size": 8}
    assert (await _call("GET", "/cases/abc?q=%E5%BC%A0%09")).status_code == 200


async def test_a_body_over_the_limit_is_still_refused_as_too_large():
    response = await _call("POST", "/reports", content=b'{"description": "' + b"x" * 5000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


async def test_a_value_beyond_what_the_database_or_the_clock_holds_is_a_422_not_a_500():
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/rows/{row_id}")
    async def row(row_id: RowId) -> dict:
        return {"row_id": row_id}

    @app.get("/database")
    async def database() -> dict:
        raise DBAPIError("SELECT $1", {"x": "13812345678"}, asyncpg.exceptions.NumericValueOutOfRangeError("out"))

    @app.get("/clock")
    async def clock() -> dict:
        raise OverflowError("date value out of range")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        huge = await client.get(f"/rows/{2**64}")
        assert (huge.status_code, huge.json()["code"], huge.json()["field"]) == (422, "out_of_range", "row_id")
        assert (await client.get(f"/rows/{2**63 - 1}")).status_code == 200
        for path in ("/database", "/clock"):
            answer = await client.get(path)
            assert answer.status_code == 422 and answer.json()["code"] == "out_of_range"
            assert "13812345678" not in answer.text
