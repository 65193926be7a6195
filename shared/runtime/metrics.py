"""The Prometheus metrics every service exports on /metrics."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("gridlink_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_DURATION = Histogram("gridlink_http_request_duration_seconds", "HTTP request duration", ["method", "route"])
EVENTS_CONSUMED = Counter("gridlink_events_consumed_total", "Records consumed, by outcome",
                          ["topic", "type", "outcome"])
EVENTS_PRODUCED = Counter("gridlink_events_produced_total", "Events published by the outbox relay", ["topic", "type"])
OUTBOX_BACKLOG = Gauge("gridlink_outbox_backlog", "Outbox rows not yet published")
CONSUMER_LAG = Gauge("gridlink_consumer_lag", "Records behind the high-water mark", ["topic", "partition"])
DEAD_LETTERED = Counter("gridlink_dead_lettered_total", "Records sent to a dead-letter topic", ["topic", "reason"])
RATE_LIMITED = Counter("gridlink_rate_limited_total", "Requests refused with 429, by the limit they hit", ["code"])
