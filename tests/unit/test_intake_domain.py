"""Intake's rules: tracking codes, placing a point in its grid, masking personal data."""

import pytest

from services.intake.domain.cases import CaseStatus, new_tracking_code, normalise_tracking_code, phone_matches
from services.intake.domain.location import Area, JurisdictionMap, OutsideJurisdiction
from shared.demo import demo_data
from shared.masking import mask_identity_number, mask_numbers_in_text, mask_phone


def test_tracking_codes_are_short_unambiguous_and_self_checking():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 8 and not set(code) & set("ILOU")
        assert normalise_tracking_code(code) == code


def test_a_tracking_code_read_aloud_or_mistyped_is_normalised_or_refused():
    code = new_tracking_code()
    assert normalise_tracking_code(f" {code[:4].lower()}-{code[4:]} ") == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert normalise_tracking_code(wrong) is None
    assert normalise_tracking_code("SHORT") is None and normalise_tracking_code("!!!!!!!!") is None


def test_a_resident_status_never_moves_back():
    assert CaseStatus.RECEIVED.rank < CaseStatus.DISPATCHED.rank


def test_only_the_last_four_digits_of_the_reporters_phone_open_a_named_report():
    assert phone_matches(["13812341234"], "1234")
    assert phone_matches(["13900000000", "13812341234"], "1234")  # any co-reporter's own number
    assert not phone_matches(["13812341234"], "4321") and not phone_matches([None], "1234")
    assert not phone_matches(["13812341234"], None)


@pytest.fixture(scope="module")
def changning() -> JurisdictionMap:
    return JurisdictionMap(Area(id=a["id"], level=a["level"], parent_id=a["parent"], name_zh=a["name_zh"],
                                polygon=a["polygon"]) for a in demo_data("ground")["areas"])


def test_the_fixed_demo_points_fall_in_their_streets_and_outside_the_district(changning):
    huayang = changning.place(31.2200, 121.4300)
    assert (huayang.street_id, huayang.grid_id) == ("st-huayang", "cm-xiushui-g1")
    jiangsu = changning.place(31.2240, 121.4370)
    assert (jiangsu.street_id, jiangsu.grid_id) == ("st-jiangsu", "cm-huashan-g2")
    assert huayang.district_id == jiangsu.district_id == "cn-changning"
    with pytest.raises(OutsideJurisdiction):
        changning.place(31.3000, 121.5000)


def test_a_point_on_a_shared_border_gets_one_grid_whatever_the_index_order(changning):
    border = changning.place(31.2225, 121.4300)  # on the line between Xiushui grids 1 and 2
    assert border.grid_id == "cm-xiushui-g1"


def test_phone_and_identity_numbers_are_masked_as_the_standard_says():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone(None) is None and mask_phone("12345") == "*****"
    assert mask_identity_number("310105199001011234") == "310105********1234"


def test_numbers_written_into_free_text_are_masked_before_the_text_leaves_intake():
    text = "我是张阿姨，电话13812341234，或者 +86 139-1234-5678，身份证31010519900101123X。门牌号1302室，订单20231115123456"
    masked = mask_numbers_in_text(text)
    assert "13812341234" not in masked and "138****1234" in masked
    assert "139-1234-5678" not in masked and "139****5678" in masked
    assert "31010519900101123X" not in masked and "310105********123X" in masked
    assert "1302室" in masked and "20231115123456" in masked  # other numbers are left alone


def test_a_slip_keeps_its_kind_among_the_seven_channels_and_the_day_it_was_handed_in():
    from datetime import date

    from services.intake.domain.slips import SLIP_KINDS, draft_of, handed_in, slip_kind
    from shared.refusals import Refused
    from shared.spreadsheets import SheetRow

    assert set(SLIP_KINDS) == {"suggestion_box", "email", "questionnaire", "one_to_one_talk", "opinion_book",
                               "visit_log", "liaison_log"}
    assert (slip_kind("谈心"), slip_kind("电子邮件"), slip_kind("意见簿")) == ("one_to_one_talk", "email",
                                                                          "opinion_book")
    today = date(2026, 12, 2)
    for written in ("2026-11-20", "2026/11/20", "2026年11月20日", "2026-11-20 00:00:00", " 2026.11.20 "):
        assert handed_in(written, today=today) == date(2026, 11, 20), written
    assert handed_in("", today=today) is None
    for bad, code in (("下周一", "invalid_date"), ("2026-02-30", "invalid_date"), ("2026-12-03", "out_of_range")):
        try:
            handed_in(bad, today=today)
        except Refused as exc:
            assert (exc.code, exc.field) == (code, "received_on"), bad
        else:
            raise AssertionError(f"{bad} was accepted")
    draft = draft_of(SheetRow(number=2, values={"kind": "问卷", "description": "楼道灯坏了",
                                                          "received_on": "2026-11-20"}), today=today)
    assert (draft.source_kind, draft.handed_in_on) == ("questionnaire", date(2026, 11, 20))


def test_the_gazetteer_suggests_compounds_by_name_or_alias_and_road_segments_by_number():
    from tests.fakes.intake import demo_reference

    gazetteer = demo_reference()[1].gazetteer
    assert [s.name_zh for s in gazetteer.suggest("秀水苑")] == ["秀水小区"]
    assert [s.name_zh for s in gazetteer.suggest("华阳路250号")] == ["华阳路250号"]
    assert {s.kind for s in gazetteer.suggest("华阳")} == {"compound", "road"}
    assert gazetteer.suggest("上海市") == [] and gazetteer.suggest("月球") == []


def test_the_knowledge_base_finds_the_answer_by_the_words_of_the_question():
    from uuid import uuid4

    from services.intake.domain.classification import words
    from services.intake.domain.knowledge import Article, search

    hours = Article(uuid4(), "街道社区事务受理服务中心几点上班？", "工作日8:30—17:00办公", ["上班时间", "几点"])
    waste = Article(uuid4(), "湿垃圾什么时候投放？", "早7:00—9:00", ["垃圾分类", "湿垃圾"])
    found = search("受理中心周六几点上班", [waste, hours], words)
    assert [f.article for f in found] == [hours] and 0 < found[0].score <= 1
    assert search("湿垃圾投放", [hours, waste], words)[0].article is waste
    assert search("火星移民政策", [hours, waste], words) == []
