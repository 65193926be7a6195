"""CloudEvents 1.0 in Kafka binary mode: attributes as ``ce_*`` headers, the event data as the JSON value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from pydantic import ValidationError

from shared.events import REGISTRY, Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
#: Attributes every record must carry; the extensions may be absent on records from outside.
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")


class UndecodableRecord(Exception):
    """The record is not a CloudEvent we can read (missing header, bad JSON, wrong content type)."""


class SchemaViolation(Exception):
    """The record is a CloudEvent of a known type whose data does not fit the declared schema."""


@dataclass(frozen=True)
class Envelope:
    """One event with its CloudEvents attributes, as it travels between services."""

    id: str
    type: str
    source: str
    time: datetime
    subject: str
    key: str
    data: dict[str, Any]
    correlation_id: str
    causation_id: str | None = None

    @classmethod
    def wrap(cls, event: Event, *, source: str, correlation_id: str | None = None,
             causation_id: str | None = None, event_id: str | None = None, time: datetime | None = None) -> "Envelope":
        event_id = event_id or str(uuid4())
        return cls(
            id=event_id, type=event.type, source=source, time=time or datetime.now(UTC), subject=event.subject,
            key=event.key, data=event.model_dump(mode="json"),
            correlation_id=correlation_id or event_id, causation_id=causation_id,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        pairs = [
            ("ce_specversion", SPEC_VERSION), ("ce_id", self.id), ("ce_source", self.source), ("ce_type", self.type),
            ("ce_time", self.time.isoformat()), ("ce_subject", self.subject), ("ce_partitionkey", self.key),
            ("ce_correlationid", self.correlation_id), ("content-type", CONTENT_TYPE),
        ]
        if self.causation_id:
            pairs.append(("ce_causationid", self.causation_id))
        return [(k, v.encode()) for k, v in pairs]

    def value(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()

    def structured(self) -> str:
        """The event in CloudEvents' structured JSON mode, as an HTTP body (a webhook) carries it."""
        return json.dumps({
            "specversion": SPEC_VERSION, "id": self.id, "source": self.source, "type": self.type,
            "subject": self.subject, "time": self.time.isoformat(), "datacontenttype": CONTENT_TYPE,
            "data": self.data}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_record(cls, *, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | tuple) -> "Envelope":
        """Read a record; never trusts it. Raises ``UndecodableRecord`` with a reason safe to log."""
        try:
            attrs = {k: v.decode() for k, v in headers or ()}
        except UnicodeDecodeError as exc:
            raise UndecodableRecord("a header is not UTF-8") from exc
        missing = [name for name in REQUIRED if not attrs.get(name)]
        if missing:
            raise UndecodableRecord(f"missing CloudEvents headers: {', '.join(missing)}")
        if attrs["ce_specversion"] != SPEC_VERSION:
            raise UndecodableRecord(f"unsupported specversion {attrs['ce_specversion'][:10]!r}")
        if attrs.get("content-type", CONTENT_TYPE).split(";")[0].strip() != CONTENT_TYPE:
            raise UndecodableRecord("content-type is not application/json")
        try:
            time = datetime.fromisoformat(attrs["ce_time"])
        except ValueError as exc:
            raise UndecodableRecord("ce_time is not an ISO 8601 time") from exc
        try:
            data = json.loads(value or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise UndecodableRecord("value is not JSON") from exc
        if not isinstance(data, dict):
            raise UndecodableRecord("value is not a JSON object")
        record_key = key.decode(errors="replace") if key else attrs.get("ce_partitionkey", "")
        return cls(
            id=attrs["ce_id"], type=attrs["ce_type"], source=attrs["ce_source"], time=time,
            subject=attrs.get("ce_subject", record_key), key=record_key, data=data,
            correlation_id=attrs.get("ce_correlationid") or attrs["ce_id"], causation_id=attrs.get("ce_causationid"),
        )

    def event(self) -> Event | None:
        """The typed event, or ``None`` for a type this build does not know (consumers skip those)."""
        cls = REGISTRY.get(self.type)
        if cls is None:
            return None
        try:
            return cls.model_validate(self.data)
        except ValidationError as exc:
            # Field names only: the values may be personal data.
            fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
            raise SchemaViolation(f"{self.type} does not fit its schema at: {', '.join(fields)}") from exc
