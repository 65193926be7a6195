"""Who is told what: every template of the catalogue renders for its event, a bad one is refused when saved, and
residents are not texted at night unless the matter is urgent."""

from datetime import UTC, datetime

import pytest

from services.notification.domain.deliveries import quiet_until
from services.notification.domain.templates import TemplateProblem, catalogue, check, render
from shared.local_time import LOCAL_ZONE


def test_every_default_template_checks_out_in_both_languages():
    rules = [r for rules in catalogue().values() for r in rules]
    assert {r.audience for r in rules} == {"resident", "unit", "supervisor", "leader"}
    for rule in rules:
        for source in rule.texts.values():
            check(source, event_type=rule.event_type, audience=rule.audience)


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
