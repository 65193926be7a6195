"""Masking of personal data that may leave intake: mainland mobile numbers and identity numbers."""

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` -> ``138****1234``; other numbers keep their first 3 and last 4 digits."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_identity_number(number: str | None) -> str | None:
    """Keeps the first 6 and last 4 characters."""
    if not number:
        return None
    if len(number) <= 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
