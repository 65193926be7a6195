"""Cases as residents see them: tracking codes, status, verdicts, and who may read a named report."""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

# Crockford's base32 without I, L, O, U: nothing a resident could misread over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_CODE_LENGTH = 8  # 7 random symbols (32^7 ≈ 3.4e10) and a check symbol


def _check_symbol(body: str) -> str:
    total = sum((i + 1) * _ALPHABET.index(ch) for i, ch in enumerate(body))
    return _ALPHABET[total % len(_ALPHABET)]


def new_tracking_code() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(TRACKING_CODE_LENGTH - 1))
    return body + _check_symbol(body)


def normalise_tracking_code(raw: str) -> str | None:
    """Upper-case, read O as 0 and I/L as 1, drop dashes and spaces; ``None`` if it cannot be a code."""
    code = raw.strip().upper().replace("-", "").replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != TRACKING_CODE_LENGTH or any(ch not in _ALPHABET for ch in code):
        return None
    return code if _check_symbol(code[:-1]) == code[-1] else None


MOBILE_PATTERN = r"^(\+86)?(1[3-9]\d{9})$"
_MOBILE = re.compile(MOBILE_PATTERN)


def national_mobile(raw: str | None) -> str | None:
    """A mainland mobile number as 11 digits (spaces, dashes and +86 dropped), or ``None`` if it is not one."""
    if not raw:
        return None
    match = _MOBILE.match(raw.replace(" ", "").replace("-", ""))
    return match.group(2) if match else None


# A landline as callers give it: an area code (0 and two or three digits; in brackets, or after +86 without its 0),
# seven or eight digits, perhaps an extension (-801, 转801, ext 801, #801).
_LANDLINE = re.compile(r"^(?:(?:\+86|0086)[\s-]*\(?0?|\(?0)(\d{2,3})\)?[\s-]*([2-9][\d\s-]{6,9}?)"
                       r"(?:\s*(?:-|转|分机|ext\.?|x|#)\s*(\d{1,6}))?$", re.IGNORECASE)


def national_phone(raw: str | None) -> str | None:
    """A mobile as 11 digits, or a landline as ``021-62251234`` (``-801`` for an extension); ``None`` if neither."""
    mobile = national_mobile(raw)
    if mobile or not raw:
        return mobile
    match = _LANDLINE.match(raw.strip())
    if not match:
        return None
    area, local, extension = match.group(1), re.sub(r"[\s-]", "", match.group(2)), match.group(3)
    # Beijing, Tianjin, Shanghai, Chongqing and the 02x cities have two digits after the 0, the rest three.
    if area[0] in "12" and len(area) == 3:
        area, local = area[:2], area[2:] + local
    if len(area) != (2 if area[0] in "12" else 3) or len(local) not in (7, 8) or local[0] in "01":
        return None
    return f"0{area}-{local}" + (f"-{extension}" if extension else "")


def is_mobile(phone: str | None) -> bool:
    """Whether a number (as ``national_phone`` gives it) can receive a text."""
    return bool(phone) and len(phone) == 11 and phone.startswith("1")


class CaseStatus(StrEnum):
    """Status as the resident sees it; ranks only rise, so events arriving out of order cannot move it back."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    COMPLETED = "completed"

    @property
    def rank(self) -> int:
        return list(CaseStatus).index(self)

    @property
    def is_open(self) -> bool:
        return self is not CaseStatus.COMPLETED


def phone_matches(phones, last4: str | None) -> bool:
    """A named report is read back only by whoever knows the last four digits of one of its reporters' phones (of a
    landline, of the number before its extension)."""
    return bool(last4) and any(phone and phone.split("-")[1 if phone.startswith("0") else 0][-4:] == last4
                               for phone in phones)
