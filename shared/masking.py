"""Masking of personal data that may leave intake: mainland mobile numbers, identity numbers and names."""

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


def mask_name(name: str) -> str:
    """``王秀英`` -> ``王*英``, ``王英`` -> ``王*``: enough for the person to recognise, not enough to identify."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# A mainland mobile number, perhaps with +86 and spaces or dashes, not inside a longer run of digits.
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# A resident identity number: 17 digits and a digit or X.
_IDENTITY_IN_TEXT = re.compile(r"(?<![\dXx])(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")


def mask_numbers_in_text(text: str) -> str:
    """Free text as it may leave intake: mobile and identity numbers written into it are masked."""
    text = _IDENTITY_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
