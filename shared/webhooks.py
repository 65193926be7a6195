"""Standard Webhooks 1.0: signing what gridlink sends and verifying what it receives (HMAC-SHA256, `whsec_` secrets)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 300
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class WebhookRejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    mac = hmac.new(_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, message_id: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> str:
    """The ``webhook-id`` of a genuine, fresh message; ``WebhookRejected`` otherwise."""
    message_id, stamp, signatures = (headers.get("webhook-id"), headers.get("webhook-timestamp"),
                                     headers.get("webhook-signature"))
    if not message_id or not stamp or not signatures:
        raise WebhookRejected("missing_signature", "webhook-id, webhook-timestamp and webhook-signature are required")
    # ASCII digits only, and a sane length: isdigit() admits digits int() cannot read, and a huge number overflows.
    if not _UNIX_SECONDS.fullmatch(stamp):
        raise WebhookRejected("invalid_timestamp", "webhook-timestamp must be unix seconds")
    if abs((now if now is not None else time.time()) - int(stamp)) > TOLERANCE_SECONDS:
        raise WebhookRejected("stale_timestamp", "webhook-timestamp is more than 5 minutes off")
    expected = sign(secret, message_id, int(stamp), body).split(",", 1)[1]
    # Several signatures, space-separated, while a secret is being rotated: any one may match.
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return message_id
    raise WebhookRejected("invalid_signature", "no signature matches")
