"""Numbers residents write into free text leave intake masked however they write them: full-width digits, spaces,
dashes, dots, brackets, a country prefix; mobiles, landlines with their area code, identity numbers. Property tests
generate the writings; other numbers (dates, prices, house numbers, order numbers) are left alone. Person names
written into the text are found with jieba's part-of-speech tags and masked in what is published; places and titles
stay."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.masking import mask_numbers_in_text

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
SEPARATORS = ["", " ", "-", ".", "  ", " - ", "\u3000"]
# Text around a number: Chinese and Latin letters and punctuation, never a digit (a digit next to it would make a
# longer number, which is rightly not a phone number; nor an X, which would lengthen an identity number).
AROUND = st.text(alphabet="请回电话联系我谢谢 abcYZ，。：:()", max_size=12)


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())


@st.composite
def written(draw, digits: str, groups: list[int]) -> str:
    """``digits`` as a person might write them: groups split by separators, some digits full-width."""
    wide = draw(st.booleans())
    parts, at = [], 0
    for size in groups:
        parts.append("".join(FULL_WIDTH[d] if wide else d for d in digits[at:at + size]))
        at += size
    return "".join(part + (draw(st.sampled_from(SEPARATORS)) if i < len(parts) - 1 else "")
                   for i, part in enumerate(parts))


mobiles = st.tuples(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9)).map(
    lambda t: "1" + t[0] + t[1])


@given(data=st.data(), number=mobiles, before=AROUND, after=AROUND,
       prefix=st.sampled_from(["", "+86 ", "+86", "0086 ", "86-", "(", "＋86 "]))
def test_no_mobile_number_survives_however_it_is_written(data, number, before, after, prefix):
    writing = data.draw(written(number, data.draw(st.sampled_from([[11], [3, 4, 4], [3, 8], [3, 3, 5]]))))
    closing = ")" if prefix == "(" else ""
    masked = mask_numbers_in_text(f"{before}{prefix}{writing}{closing}{after}")
    assert number not in _digits(masked)
    assert f"{number[:3]}****{number[-4:]}" in masked


landlines = st.one_of(
    st.tuples(st.sampled_from(["010", "021", "022", "020", "025", "027", "029"]),
              st.text(alphabet="23456789", min_size=1, max_size=1),
              st.text(alphabet="0123456789", min_size=7, max_size=7)),
    st.tuples(st.sampled_from(["0571", "0755", "0512", "0871", "0451"]),
              st.text(alphabet="23456789", min_size=1, max_size=1),
              st.text(alphabet="0123456789", min_size=6, max_size=7)))


@given(data=st.data(), parts=landlines, before=AROUND, after=AROUND, brackets=st.booleans())
def test_no_landline_with_its_area_code_survives_however_it_is_written(data, parts, before, after, brackets):
    area, first, rest = parts
    local = first + rest
    writing = data.draw(written(area + local, [len(area), len(local) - 4, 4]))
    if brackets:
        writing = f"({area}){writing[len(area):].lstrip(' -.　')}"
    masked = mask_numbers_in_text(f"{before}{writing}{after}")
    assert area + local not in _digits(masked) and local not in _digits(masked)
    assert f"{area}****{local[-4:]}" in masked


@given(data=st.data(), body=st.text(alphabet="0123456789", min_size=17, max_size=17),
       check=st.sampled_from(list("0123456789X")), before=AROUND, after=AROUND)
def test_no_identity_number_survives_however_it_is_written(data, body, check, before, after):
    writing = data.draw(written(body, [6, 8, 3])) + check
    masked = mask_numbers_in_text(f"{before}{writing}{after}")
    assert body not in _digits(masked)
    assert masked.count("********") == 1


def test_other_numbers_are_left_as_they_are():
    for text in ("2026年11月23日上午9点", "会议 2026-11-23 14:30", "价格 12.50 元", "门牌号1250号1302室",
                 "订单20231115123456", "编号 0123456789", "第3次反映", "约 500 米"):
        assert mask_numbers_in_text(text) == text, text


# Common surnames that are not also everyday words (何 "what", 许 "perhaps", 高 "tall" and 马 "horse" are both, and a
# bare "高军" or "许强" is read as words by jieba as by a person), with given names of one or two characters.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭林罗郑梁谢宋唐韩冯邓曹彭曾"
GIVEN = ["秀英", "建国", "红梅", "志刚", "丽丽", "桂兰", "淑珍", "海燕", "俊杰", "子涵", "浩然", "雨轩", "明", "伟", "芳",
         "娜", "磊", "勇", "艳", "杰", "静", "敏", "玉兰", "德华", "小红", "晓东"]
# The ways reports name a person: as the contact, a neighbour, someone to pass a message to.
NAMED = ["联系人{}，电话{}", "居民{}投诉噪音，回电{}", "请转告{}本人，号码{}", "我叫{}，住在华阳路，手机{}",
         "楼上{}家漏水，{}"]


@settings(deadline=None)  # the first example loads jieba's dictionary
@given(surname=st.sampled_from(SURNAMES), given_name=st.sampled_from(GIVEN), template=st.sampled_from(NAMED),
       number=mobiles)
def test_no_name_nor_number_in_free_text_survives_what_is_published(surname, given_name, template, number):
    from shared.masking import mask_personal_text

    name = surname + given_name
    masked = mask_personal_text(template.format(name, number))
    assert name not in masked and number not in masked
    assert surname in masked  # enough to recognise the text, not to identify the person


def test_places_titles_and_ordinary_words_are_left_as_they_are():
    from shared.masking import mask_personal_text

    for text in ("华阳路街道办事处", "小区门口下水道堵塞，雨后积水严重", "江苏路一处窨井盖缺失", "周女士反映电梯坏了",
                 "请找刘师傅处理", "黄色的灯一直闪", "一张桌子挡住消防通道", "金山区来的车辆乱停", "马路上有坑",
                 "居民江苏路一处积水", "静安寺门口路灯不亮三天了", "路灯不亮 street light out",
                 "已更换井盖并加固", "人行道上井盖松动", "请盖章后交回"):
        assert mask_personal_text(text) == text, text
