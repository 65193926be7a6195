"""The time zone the platform's people live in, for the dates it shows them and the days it counts (the demo ground
is Shanghai; supervision keeps each jurisdiction's own zone with its working calendar)."""

from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
