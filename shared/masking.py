"""Masking of personal data that may leave intake: mainland mobile numbers, identity numbers and names."""

import re
import unicodedata

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` -> ``138****1234``, ``021-62251234-801`` -> ``021****1234-801``; other numbers keep their
    first 3 and last 4 digits."""
    if not phone:
        return None
    if phone.startswith("0") and "-" in phone:  # a landline: its area code and its last four digits (and extension)
        area, local, *extension = phone.split("-")
        return f"{area}****{local[-4:]}" + "".join(f"-{e}" for e in extension)
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


# Names in free text: jieba's part-of-speech tags mark person names (nr, nrfg, nrt); a single-character surname it
# tagged alone is followed by the given name it read as something else (王 + 桂兰/ns), a two-character one by the
# third character of a three-character name (王子 + 涵). A surname with a title (周女士, 刘师傅) names no one and stays.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
                               "宇文", "司徒", "夏侯", "端木", "轩辕"})
TITLES = ("师傅", "女士", "先生", "阿姨", "老师", "大爷", "大妈", "奶奶", "爷爷", "同志", "主任", "书记", "经理", "医生",
          "老伯", "阿婆", "叔叔", "伯伯", "小姐")
# What follows a name in a report and is not part of it.
_AFTER_NAME = frozenset("说反投来称和与及的在是等也都又住家电本等向给对跟被把讲问要请让找打将已")
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
_NAME_FLAGS = ("nr",)
_CUES = ("联系人", "居民", "业主", "叫", "是", "姓名", "找", "转告", "和", "与", "及", "村民", "老人", "住户", "租户", "邻居",
         "反映人", "来电人", "报修人", "楼上", "楼下", "对门", "隔壁")
_PLACE_ENDINGS = tuple("路街区镇村弄号园苑里坊湾桥口寺庙站馆院楼店场厂校局城")
# What jieba calls the word after a lone surname when it is not a given name (林 + 荫道 is a place to walk).
_NOT_GIVEN_FLAGS = frozenset({"n", "f", "s", "t", "q", "p", "c", "u", "uj", "ul", "r", "x", "m", "d"})


def _tagger():
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


_posseg = None


def warm_up() -> None:
    """Load the name tagger now (its dictionary and model take a second or so)."""
    mask_names_in_text("联系人王秀英")


def mask_names_in_text(text: str) -> str:
    """Person names written into free text, found by jieba's part-of-speech tags, masked as ``mask_name`` does
    (王秀英 -> 王*英); a surname with a title (周女士) is left as it is."""
    global _posseg
    if not text or not _HAS_HAN.search(text):
        return text
    if _posseg is None:
        _posseg = _tagger()
    words = [(pair.word, pair.flag) for pair in _posseg.cut(text)]
    out, i = [], 0
    while i < len(words):
        word, flag = words[i]
        # jieba also reads a surname as a word of its own (张 a measure word, 黄 yellow): where a name may begin
        # (the text's start, after punctuation or a word that introduces a person), it begins one.
        # After a word that introduces a person, a two- or three-character "place" that begins with a surname is a
        # name (联系人 张洋/ns).
        after_cue = i > 0 and words[i - 1][0].endswith(_CUES)
        introduced = word in SURNAMES and (i == 0 or words[i - 1][1] == "x" or after_cue)
        placed = after_cue and flag in ("ns", "nz") and 2 <= len(word) <= 3 and word[0] in SURNAMES \
            and not word.endswith(_PLACE_ENDINGS) and not (i + 1 < len(words) and words[i + 1][0].startswith(
                _PLACE_ENDINGS))
        # jieba tags common words as names too (井盖, a manhole cover, is "nr"): a name it tagged begins with a
        # surname, or follows one (欧阳 + 娜娜, 徐海 + 燕) or a word that introduces a person.
        before = words[i - 1] if i > 0 else ("", "")
        tagged = flag.startswith(_NAME_FLAGS) and (
            word[0] in SURNAMES or word[:2] in COMPOUND_SURNAMES or after_cue or before[0] in SURNAMES
            or before[0] in COMPOUND_SURNAMES or (len(before[0]) == 2 and before[0][0] in SURNAMES))
        if not (tagged or introduced or placed) or not _HAN.match(word):
            out.append(word)
            i += 1
            continue
        name, i = word, i + 1
        # ... and a surname and given name jieba split the other way (徐海/ns + 燕/nr) are one name.
        if flag.startswith(_NAME_FLAGS) and len(word) == 1 and i > 1 and out and words[i - 2][1] in ("ns", "nz") \
                and len(out[-1]) == 2 and out[-1][0] in SURNAMES:
            name = out.pop() + name
        while i < len(words) and words[i][1].startswith(_NAME_FLAGS) and _HAN.match(words[i][0]):
            name, i = name + words[i][0], i + 1
        rest = ""
        if i < len(words) and _HAN.match(words[i][0]) and not words[i][0].startswith(TITLES):
            following = words[i][0]
            if len(name) == 1 and name in SURNAMES and len(following) <= 2 and following[0] not in _AFTER_NAME \
                    and (flag.startswith(_NAME_FLAGS) or words[i][1] not in _NOT_GIVEN_FLAGS):
                name, i = name + following, i + 1
            elif len(name) == 2 and name[0] in SURNAMES and following[0] not in _AFTER_NAME \
                    and not name.endswith(TITLES):
                name, rest, i = name + following[0], following[1:], i + 1
        # jieba reads some places as names (静安寺): a "name" ending as places do is left alone.
        if name.endswith(TITLES) or (len(name) == 1 and name in SURNAMES) or name.endswith(_PLACE_ENDINGS):
            out.append(name + rest)
        else:
            out.append(mask_name(name) + rest)
    return "".join(out)


def mask_personal_text(text: str) -> str:
    """Free text as it is published or shown outside intake: numbers and person names masked."""
    return mask_names_in_text(mask_numbers_in_text(text))
