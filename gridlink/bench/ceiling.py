"""The ceiling for ``gridlink bench-intake``: a bare FastAPI endpoint that validates the same report body and writes
one row with asyncpg, nothing else. Run as ``python -m gridlink.bench.ceiling --port P --database-url URL``."""

from __future__ import annotations

import argparse
import secrets
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

TABLE = """CREATE TABLE IF NOT EXISTS ceiling_reports (
    id uuid PRIMARY KEY, tracking_code text NOT NULL, description text NOT NULL, lat double precision,
    lon double precision, phone text, received_at timestamptz NOT NULL)"""


class Point(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Contact(BaseModel):
    name: str | None = Field(default=None, max_length=64)
    phone: str = Field(max_length=32)


class Report(BaseModel):
    description: str = Field(min_length=1, max_length=4000)
    category: str | None = None
    location: Point
    contact: Contact | None = None


def make_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = await asyncpg.create_pool(database_url, min_size=10, max_size=10)
        async with app.state.pool.acquire() as connection:
            await connection.execute(TABLE)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/reports", status_code=201)
    async def report(body: Report, request: Request) -> dict:
        report_id, code = uuid4(), secrets.token_hex(4).upper()
        async with request.app.state.pool.acquire() as connection:
            await connection.execute(
                "INSERT INTO ceiling_reports (id, tracking_code, description, lat, lon, phone, received_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)", report_id, code, body.description, body.location.lat,
                body.location.lon, body.contact.phone if body.contact else None, datetime.now(UTC))
        return {"report_id": str(report_id), "tracking_code": code}

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "alive"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(args.database_url), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
