"""Who is told what: every template of the catalogue renders for its event, a bad one is refused when saved, and
residents are not texted at night unless the matter is urgent."""

import functools
import re
from datetime import UTC, datetime

import pytest

from services.notification.domain.deliveries import quiet_until
from services.notification.domain.templates import (
    AUDIENCES,
    TemplateProblem,
    catalogue,
    check,
    render,
    sample_event,
)
from shared.demo import demo_names
from shared.events import REGISTRY
from shared.local_time import LOCAL_ZONE


def test_every_default_template_checks_out_in_both_languages():
    rules = [r for rules in catalogue().values() for r in rules]
    assert {r.audience for r in rules} == set(AUDIENCES)
    for rule in rules:
        for source in rule.texts.values():
            check(source, event_type=rule.event_type, audience=rule.audience)
        if rule.to:  # the field naming the units told is the event's own, and a list of them
            assert rule.to in REGISTRY[rule.event_type].model_fields, (rule.event_type, rule.to)


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule", [r for rules in catalogue().values() for r in rules],
                         ids=lambda r: f"{r.event_type.split('.')[2]}-{r.audience}-{r.template}")
def test_every_text_names_things_in_its_reader_language_with_no_code_and_no_utc(rule):
    """Rendered for the demo ground's sample case: the Chinese text has no English word (no code: the unit, sub-item
    and place are named), the English one no Chinese name where an English one exists, and no time ends in Z."""
    names = demo_names()
    values = sample_event(rule.event_type, sparse=False) | {
        "unit_id": "hy-management-office", "from_unit_id": "cn-construction", "category_code": "street-lighting",
        "unit_ids": ["hy-management-office", "cn-enforcement"], "assisting_unit_ids": ["cn-greening"],
        "board_unit_ids": ["cn-greening"], "area": {"district_id": "cn-changning", "street_id": "st-huayang",
                                                     "community_id": "cm-xiushui", "grid_id": "cm-xiushui-g1"},
        "reason": "居民反映情况属实", "result": "已修复", "place": "秀水居委会会议室", "kind": "sign_for",
        "answer": "居民说周末在家"}
    if "unit_id" not in values or rule.audience == "resident":
        values |= {"tracking_code": "CN2026120100001", "track_url": "https://example.invalid/t/CN2026120100001"}
    zh = render(rule.texts["zh"], values, names=names, locale="zh")
    en = render(rule.texts["en"], values, names=names, locale="en")
    # The tracking code is what the resident holds, not a name left out.
    assert not _LATIN_WORD.findall(zh.replace("https://example.invalid/t/", "").replace("CN2026120100001", "")), zh
    # People's own words (a reason, a result, a place, an answer) stay as they were said.
    said = (values["reason"], values["result"], values["place"], values["answer"])
    assert not _HAN.search(functools.reduce(lambda text, words: text.replace(words, ""), said, en)), en
    for text in (zh, en):
        assert not re.search(r"\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|\+00:00)", text), text


def test_a_template_with_bad_syntax_or_a_name_the_event_lacks_is_refused_when_saved():
    with pytest.raises(TemplateProblem, match="syntax"):
        check("{{ unit_name ", event_type="org.gridlink.case.dispatched.v1", audience="unit")
    with pytest.raises(TemplateProblem, match="phone"):
        check("{{ phone }}", event_type="org.gridlink.case.dispatched.v1", audience="resident")
    with pytest.raises(TemplateProblem, match="tracking_code"):  # only residents' templates know the code
        check("{{ tracking_code }}", event_type="org.gridlink.case.dispatched.v1", audience="unit")


@pytest.mark.parametrize(("source", "why"), [
    ("{{ due_at | local_date }}，{{ unit_id + 1 }}", "with every field given: TypeError"),  # arithmetic on a text
    ("{{ unit_id.name.zh }}", "UndefinedError"),  # a text has no attributes
    ("{{ policy | percent }}", "ValueError"),  # a share filter on a policy's name
])
def test_a_template_whose_names_exist_but_fail_on_their_values_is_refused_when_saved_not_when_sent(source, why):
    with pytest.raises(TemplateProblem, match=why):
        check(source, event_type="org.gridlink.case.deadline_set.v1", audience="unit")


def test_a_template_that_fails_only_when_an_optional_field_is_empty_is_refused_too():
    from services.notification.domain.templates import sample_event

    sparse = sample_event("org.gridlink.case.extension_decided.v1", sparse=True)
    assert sparse["due_at"] is None  # refused extensions have no new deadline
    with pytest.raises(TemplateProblem, match="with optional fields left out"):
        check("新期限 {{ due_at[:10] }}", event_type="org.gridlink.case.extension_decided.v1", audience="unit")
    with pytest.raises(TemplateProblem, match="shows 'None'"):
        check("新期限 {{ due_at }}", event_type="org.gridlink.case.extension_decided.v1", audience="unit")
    check("{% if due_at %}新期限 {{ due_at[:10] }}{% endif %}", event_type="org.gridlink.case.extension_decided.v1",
          audience="unit")


def test_templates_render_local_times_shares_and_the_kind_of_deadline():
    warned = next(r for r in catalogue()["org.gridlink.case.deadline_warned.v1"])
    text = render(warned.texts["zh"], {"kind": "sign_for", "threshold": 0.8,
                                       "due_at": "2026-11-23T03:00:00+00:00"})
    assert text == "【黄色预警】案件签收时限已用80%，截止2026-11-23 11:00。"


def test_residents_sms_waits_for_eight_in_the_morning_unless_urgent():
    def at(hour, minute=0, day=23):
        return datetime(2026, 11, day, hour, minute, tzinfo=LOCAL_ZONE).astimezone(UTC)

    assert quiet_until(at(12), urgent=False) is None
    assert quiet_until(at(23, 30), urgent=False) == datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_ZONE)
    assert quiet_until(at(6), urgent=False) == datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_ZONE)
    assert quiet_until(at(23, 30), urgent=True) is None


def test_a_resident_who_gave_a_landline_is_not_texted():
    from datetime import UTC, datetime
    from uuid import uuid4

    from services.notification.domain.deliveries import CaseContact, DeliveryStatus, resident_route

    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    landline = CaseContact(case_id=uuid4(), tracking_code="T1", phone_masked="021****1234")
    mobile = CaseContact(case_id=uuid4(), tracking_code="T2", phone_masked="138****1234")
    assert resident_route(landline, now).status is DeliveryStatus.NO_CONTACT
    assert resident_route(mobile, now).channel == "sms"
