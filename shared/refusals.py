"""A refusal a caller can act on: a stable code, the field at fault, and the HTTP status it becomes at the edge."""

from __future__ import annotations


class Refused(Exception):
    """Raised by application code; the HTTP edge answers ``{code, message, field}`` with ``status``; ``extra`` adds
    fields to that body (say, the latest date a rule would allow)."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422, **extra):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status
        self.extra = extra


class RateLimited(Refused):
    """Too many tries of one thing by one caller in a while: a 429 whose ``Retry-After`` says when to try again."""

    def __init__(self, code: str, message: str, retry_after: float, field: str | None = None):
        super().__init__(code, message, field, status=429)
        self.retry_after = max(1, int(retry_after + 0.999))
