"""Structured JSON logs, one line per event, carrying case id, event id and correlation id from context; no
personal data in them: SQL parameters are cut from error texts and numbers written anywhere are masked."""

from __future__ import annotations

import logging
import re
import sys

import structlog

from shared.masking import mask_names_in_text, mask_numbers_in_text

# SQLAlchemy quotes a failed statement's parameters (a resident's name and number) in its error text.
_SQL_PARAMETERS = re.compile(r"\[parameters: [\s\S]*?\](?=\s*(?:\n|\(Background|$))")


_DIGIT = re.compile(r"\d")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _scrubbed(value):
    if isinstance(value, str):
        if "[parameters:" in value:
            value = _SQL_PARAMETERS.sub("[parameters: left out]", value)
        # Most values (levels, routes, ids) hold no digit: one search instead of the masking's three.
        if _HAN.search(value):  # a line in words (an error text, a note) may name a person
            value = mask_names_in_text(value)
        return mask_numbers_in_text(value) if _DIGIT.search(value) else value
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def drop_personal_data(_, __, event: dict) -> dict:
    """The last word before a line is written: SQL parameters left out, numbers in every value masked."""
    return {key: _scrubbed(value) for key, value in event.items()}


def configure_logging(service: str, level: str = "info") -> None:
    numeric = getattr(logging, level.upper())
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        drop_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            lambda _, __, event: {**event, "service": service},
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # uvicorn's access log would repeat our request log without the correlation id.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
