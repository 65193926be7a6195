"""The time zone the platform's people live in, for the dates it shows them and the days it counts (the demo ground
is Shanghai; supervision keeps each jurisdiction's own zone with its working calendar)."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def _in_local_zone(value: datetime) -> str:
    return value.astimezone(LOCAL_ZONE).isoformat()


#: A moment as a person's view carries it: in the jurisdiction's zone (``+08:00``), never ``Z``.
LocalDatetime = Annotated[datetime, PlainSerializer(_in_local_zone, return_type=str, when_used="json"),
                          WithJsonSchema({"type": "string", "format": "date-time"})]
