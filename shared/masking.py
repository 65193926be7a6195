"""Masking of personal data that may leave intake: mainland mobile numbers, identity numbers and names."""

import re
import unicodedata

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


# Numbers as people write them into free text: digits half- or full-width (``\d`` matches both), groups broken by
# spaces, dashes, dots or brackets (up to three of them between two digits), a country prefix +86, 0086 or 86.
_SEP = r"[\s\-.()（）·]{0,3}"
_ONE = "[1１]"


def _digits(n: int) -> str:
    return _SEP.join([r"\d"] * n)


# A mainland mobile number: 1, then 3 to 9, then nine digits; not inside a longer run of digits.
_MOBILE_IN_TEXT = re.compile(
    r"(?<!\d)(?:(?:[+＋]|00|００)?(?:86|８６)" + _SEP + ")?[(（]?"
    + _ONE + _SEP + "[3-9３-９]" + _SEP + _digits(9) + r"(?!\d)")
# A resident identity number: 17 digits and a digit or X (separators may split it into its 6, 8 and 4).
_IDENTITY_IN_TEXT = re.compile(
    r"(?<![\dXx])(\d{6})" + _SEP + r"(\d{8})" + _SEP + r"(\d{3}[\dXxＸｘ])(?![\dXxＸｘ])")
# A landline with its area code: 0 and two or three more digits (010, 021, 0571 …), perhaps in brackets, then seven
# or eight digits; after +86 or 0086 the 0 is dropped.
_LANDLINE_IN_TEXT = re.compile(
    r"(?<!\d)(?:(?:[+＋]|00)86" + _SEP + r"[(（]?|[(（]?[0０]" + _SEP + r")"
    + r"[1-9１-９]" + _SEP + r"\d" + "(?:" + _SEP + r"\d)?[)）]?"
    + _SEP + r"[2-9２-９]" + _SEP + _digits(6) + "(?:" + _SEP + r"\d)?(?!\d)")


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())


def _masked_identity(match: re.Match) -> str:
    last = match.group(3)
    check = "X" if last[-1] in "XxＸｘ" else _ascii_digits(last[-1])
    return f"{_ascii_digits(match.group(1))}********{_ascii_digits(last[:3])}{check}"


def _masked_mobile(match: re.Match) -> str:
    digits = _ascii_digits(match.group(0))[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _masked_landline(match: re.Match) -> str:
    digits = _ascii_digits(match.group(0))
    if digits.startswith(("0086", "86")):
        digits = "0" + digits.removeprefix("00").removeprefix("86")
    if digits[:3] == "010" or digits[1] == "2":
        area = 3  # Beijing and the 02x cities
    elif digits[1] in "3456789":
        area = 4
    else:
        return match.group(0)  # not an area code: some other number
    local = digits[area:]
    if len(local) not in (7, 8) or local[0] in "01":
        return match.group(0)
    return f"{digits[:area]}****{digits[-4:]}"


def mask_numbers_in_text(text: str) -> str:
    """Free text as it may leave intake: identity, mobile and landline numbers written into it are masked, however
    they are written (full-width digits, spaces, dashes, dots, brackets, a country prefix)."""
    text = _IDENTITY_IN_TEXT.sub(_masked_identity, text)
    text = _MOBILE_IN_TEXT.sub(_masked_mobile, text)
    return _LANDLINE_IN_TEXT.sub(_masked_landline, text)
