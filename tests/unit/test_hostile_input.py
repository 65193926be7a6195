"""Hostile input is refused at the edge with a 422, a stable code and the field, before a route, the database or a
log line sees it: control characters (a NUL above all) in a path, a query, a JSON or a form body; numbers beyond 64
bits, dates outside 1900-2200, JSON nested deeper than any request of ours. Ordinary text, tabs and newlines,
escaped backslashes, identity numbers in text and uploads pass. Ids and values beyond what the database or the
clock holds are a 422 too."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Form, UploadFile
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from shared.http.errors import install_error_handlers
from shared.http.middleware import BodyLimit, HostileInput
from shared.http.params import RowId


class Contact(BaseModel):
    name: str


class Report(BaseModel):
    description: str
    contact: Contact | None = None


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(HostileInput)
    app.add_middleware(BodyLimit, max_bytes=2_000_000)

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
    assert response.json() == {"code": "invalid_character", "field": field,  # Chinese first, English beside it
                               "message": "内容含有不可见的控制字符，请删除后重试",
                               "message_en": "control characters (such as NUL) are not accepted"}


@pytest.mark.parametrize(("body", "code", "field"), [
    (b'{"description": "x", "contact": {"name": 123456789012345678901234567890}}', "out_of_range", "contact.name"),
    (b'{"description": 1e400}', "out_of_range", "description"),
    (b'{"description": "x", "due": "99999-01-01"}', "out_of_range", "due"),
    (b'{"description": "x", "due": "0001-01-01T00:00:00+08:00"}', "out_of_range", "due"),
    (b'{"description": "x", "n": ' + b"[" * 30 + b"]" * 30 + b"}", "too_deep", "body"),
    (b"[" * 200_000 + b"]" * 200_000, "too_deep", "body"),  # a parser would recurse until it broke
    (b'{"description": "\xe4\xb8"}', "invalid_encoding", "body"),  # half a character: not UTF-8
])
async def test_huge_numbers_dates_out_of_reach_and_deep_nesting_are_refused_naming_the_field(body, code, field):
    response = await _call("POST", "/reports", content=body, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, code, field)
    assert b"99999" not in response.content and b"1234567890" not in response.content


async def test_a_query_holding_digits_beyond_64_bits_or_a_date_out_of_reach_is_refused():
    for query, field in (("q=123456789012345678901", "q"), ("q=1800-01-01", "q")):
        response = await _call("GET", f"/cases/x?{query}")
        assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "out_of_range",
                                                                                             field)


async def test_ordinary_text_tabs_newlines_escaped_backslashes_and_uploads_pass():
    ordinary = await _call("POST", "/reports", headers={"content-type": "application/json"}, content=(
        '{"description": "身份证310101199001011234，12月1日（2026-12-01）报修，楼号[3]", "contact": {"name": "张三"}}'
    ).encode())
    assert ordinary.status_code == 200
    ok = await _call("POST", "/reports", content=b'{"description": "line\\none\\ttab \\\\u0000 literal"}',
                     headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["description"] == "line\none\ttab \\u0000 literal"
    upload = await _call("POST", "/upload", files={"file": ("x.bin", b"\x00\x01binary", "application/octet-stream")})
    assert upload.status_code == 200 and upload.json() == {"size": 8}
    assert (await _call("GET", "/cases/abc?q=%E5%BC%A0%09")).status_code == 200


async def test_a_body_over_the_limit_is_still_refused_as_too_large():
    response = await _call("POST", "/reports", content=b'{"description": "' + b"x" * 2_000_001 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"

    async def chunked(head: bytes):  # no Content-Length: the limit counts while the body streams
        yield head
        for _ in range(40):
            yield b"x" * 65_536
    for url, content_type, head in (
            ("/reports", "application/json", b'{"description": "'),  # read here, at the edge
            ("/upload", "multipart/form-data; boundary=b",  # read by the route's form parser
             b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n')):
        streamed = await _call("POST", url, content=chunked(head), headers={"content-type": content_type})
        assert (streamed.status_code, streamed.json()["code"]) == (413, "body_too_large"), url


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
