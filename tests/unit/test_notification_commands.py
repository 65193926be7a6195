"""Notification's commands and handler table on the fake store: who is told what and by which channel, messages
that arrive before the report, staff's languages, partners' notices and their filters. The same paths run on
PostgreSQL (one statement per kind of row for a batch) in the integration tests and end to end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notification.adapters.store import NotificationStore
from services.notification.commands import admin, partners
from services.notification.domain.deliveries import CaseContact, DeliveryStatus, resident_route
from services.notification.domain.partners import Subscription, WebhookStatus
from services.notification.handlers import HANDLERS
from services.notification.settings import NotificationSettings
from shared.events import (
    CaseCompleted,
    CaseDeadlineBreached,
    CaseReclassified,
    CaseSupervisorAssigned,
    Channel,
    DeadlineKind,
    PartnerCaseNotice,
)
from shared.refusals import Refused
from tests.fakes import FakeUnitOfWork, public_methods
from tests.fakes.notification import FakeNotificationStore
from tests.samples import HUAYANG_AREA, case_dispatched, case_reported

DAYTIME = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
SETTINGS = NotificationSettings.model_construct(track_url="https://gridlink.example/track/{tracking_code}")


def _uow(**store) -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeNotificationStore(**store), settings=SETTINGS)


async def _handle(uow, *events):
    for event in events:
        async with uow:
            uow.caused_by(correlation_id=str(event.case_id), causation_id=f"evt-{uuid4()}", occurred_at=DAYTIME)
            await HANDLERS[type(event)](event, uow)


def test_the_fake_store_offers_exactly_what_the_real_one_does():
    assert public_methods(FakeNotificationStore).keys() - {"to", "flush"} == public_methods(NotificationStore).keys()
    for name, signature in public_methods(NotificationStore).items():
        assert list(public_methods(FakeNotificationStore)[name].parameters) == list(signature.parameters), name


async def test_the_resident_gets_a_receipt_and_the_unit_its_assignment_in_words():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, case_dispatched(reported.case_id))
    resident = uow.store.to(f"resident:{reported.case_id}")
    assert [d["template"] for d in resident] == ["received", "dispatched"]
    assert all(d["channel"] == "sms" and d["status"] is DeliveryStatus.QUEUED for d in resident)
    assert "NTA9S5BK" in resident[0]["body"] and "区建设和管理委员会" in resident[1]["body"]
    [unit] = uow.store.to("unit:cn-construction")
    assert unit["channel"] == "inbox" and unit["status"] is DeliveryStatus.DELIVERED


async def test_the_completion_message_carries_the_configured_tracking_link():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, CaseCompleted(case_id=reported.case_id, unit_id="cn-construction",
                                               unit_name="区建设和管理委员会", result="已疏通", completed_at=DAYTIME))
    completed = next(d for d in uow.store.to(f"resident:{reported.case_id}") if d["template"] == "completed")
    assert "https://gridlink.example/track/NTA9S5BK" in completed["body"] and "127.0.0.1" not in completed["body"]


async def test_a_message_read_before_the_report_waits_and_is_sent_once_the_report_arrives():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, case_dispatched(reported.case_id))
    [waiting] = uow.store.to(f"resident:{reported.case_id}")
    assert waiting["status"] is DeliveryStatus.AWAITING_CONTACT and waiting["body"] == ""
    assert uow.store.contacts[reported.case_id].waiting
    await _handle(uow, reported)
    dispatched = next(d for d in uow.store.to(f"resident:{reported.case_id}") if d["template"] == "dispatched")
    assert dispatched["status"] is DeliveryStatus.QUEUED and "NTA9S5BK" in dispatched["body"]
    assert not uow.store.contacts[reported.case_id].waiting


def test_residents_are_not_texted_at_night_unless_the_matter_is_urgent():
    night = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    contact = CaseContact(case_id=uuid4(), tracking_code="NTA9S5BK", phone_masked="138****1234")
    held = resident_route(contact, night)
    assert held.channel == "sms" and held.not_before == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 local
    assert resident_route(replace(contact, urgent=True), night).not_before is None
    assert resident_route(contact, DAYTIME).not_before is None


async def test_a_group_report_is_answered_in_the_group_and_anonymous_residents_are_not_texted():
    uow = _uow()
    grouped = case_reported(reply_to="group-7/msg-3", channel=Channel.MESSAGING_GROUP)
    anonymous = case_reported(reporter={"ref": "anon-x", "anonymous": True})
    await _handle(uow, grouped, case_dispatched(grouped.case_id), anonymous, case_dispatched(anonymous.case_id))
    [told] = uow.store.to(f"resident:{grouped.case_id}")  # the receipt was intake's own answer in the group
    assert (told["channel"], told["fallbacks"]) == ("group", ["sms"])
    assert {d["status"] for d in uow.store.to(f"resident:{anonymous.case_id}")} == {DeliveryStatus.NO_CONTACT}


async def test_supervisors_hear_of_breaches_by_email_in_the_language_of_their_contact_point():
    uow = _uow(locales={"supervisor:sup-huayang": "en"})
    reported = case_reported()
    breach = CaseDeadlineBreached(case_id=reported.case_id, unit_id="cn-construction", kind=DeadlineKind.SIGN_FOR,
                                  due_at=DAYTIME, breached_at=DAYTIME)
    await _handle(uow, reported, CaseSupervisorAssigned(case_id=reported.case_id, supervisor_id="sup-huayang",
                                                        assigned_at=DAYTIME), breach)
    [mail] = uow.store.to("supervisor:sup-huayang")
    assert (mail["channel"], mail["fallbacks"], mail["locale"]) == ("email", ["inbox"], "en")
    assert mail["body"].startswith("[Red]") and "11:00" in mail["body"]  # the local time, not UTC


async def test_partners_hear_the_steps_their_filters_pass_thin_and_masked():
    here, elsewhere = uuid4(), uuid4()
    uow = _uow(subscriptions=[
        Subscription(here, frozenset({"org.gridlink.case.reported.v1", "org.gridlink.case.dispatched.v1"}),
                     frozenset({"st-huayang"})),
        Subscription(elsewhere, frozenset({"org.gridlink.case.reported.v1"}), frozenset({"st-jiangsu"}))])
    reported = case_reported(description="下水道堵塞，电话13812341234")
    await _handle(uow, reported, case_dispatched(reported.case_id))
    notices = uow.of_type(PartnerCaseNotice)
    assert [n.step for n in notices] == ["org.gridlink.case.reported.v1", "org.gridlink.case.dispatched.v1"]
    assert all(n.street_id == "st-huayang" for n in notices)
    assert "13812341234" not in str([n.model_dump() for n in notices])
    assert [m["endpoint_id"] for m in uow.store.webhook_messages] == [here, here]


async def test_a_step_that_does_not_say_where_the_case_lies_is_held_for_partners_until_the_report_does():
    uow = _uow()
    reported = case_reported()
    reclassified = CaseReclassified(case_id=reported.case_id, category_code="noise", category_class="livelihood",
                                    category_version=1, time_limit_class="complaint", previous_category_code="drainage",
                                    was_triage=False, reclassified_at=DAYTIME)
    await _handle(uow, reclassified)
    assert uow.of_type(PartnerCaseNotice) == [] and len(uow.store.held) == 1
    await _handle(uow, reported)
    assert [n.step for n in uow.of_type(PartnerCaseNotice)] == ["org.gridlink.case.reported.v1",
                                                                "org.gridlink.case.reclassified.v1"]
    assert uow.store.held == [] and uow.of_type(PartnerCaseNotice)[1].street_id == HUAYANG_AREA.street_id


async def test_partners_hear_a_case_s_steps_in_order_even_when_the_dispatch_is_read_before_the_report():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, case_dispatched(reported.case_id))
    assert uow.of_type(PartnerCaseNotice) == []
    await _handle(uow, reported)
    assert [n.step for n in uow.of_type(PartnerCaseNotice)] == ["org.gridlink.case.reported.v1",
                                                                "org.gridlink.case.dispatched.v1"]


async def test_an_admin_s_template_is_checked_before_it_is_saved_and_then_speaks_for_the_rule():
    uow = _uow()
    with pytest.raises(Refused) as broken:
        async with uow:
            await admin.override_template(uow, "org.gridlink.case.dispatched.v1", "unit", "new_assignment", "zh",
                                          "新派单：{{ no_such_field }}", by="admin-1")
    assert broken.value.code == "invalid_template" and uow.store.templates == {}
    async with uow:
        await admin.override_template(uow, "org.gridlink.case.dispatched.v1", "unit", "new_assignment", "zh",
                                      "新派单：{{ unit_name }}", by="admin-1")
    reported = case_reported()
    await _handle(uow, reported, case_dispatched(reported.case_id))
    assert uow.store.to("unit:cn-construction")[0]["body"] == "新派单：区建设和管理委员会"
    with pytest.raises(Refused) as unknown:
        async with uow:
            await admin.override_template(uow, "org.gridlink.case.dispatched.v1", "unit", "new_assignment", "fr", "x",
                                          by="admin-1")
    assert unknown.value.code == "unknown_locale"


async def test_a_contact_point_sets_a_staff_member_s_language_until_it_is_removed():
    uow = _uow()
    async with uow:
        await admin.set_contact_point(uow, "unit:cn-construction", email=None, locale="en", by="admin-1")
    reported = case_reported()
    await _handle(uow, reported, case_dispatched(reported.case_id))
    assert uow.store.to("unit:cn-construction")[0]["locale"] == "en"
    async with uow:
        await admin.remove_contact_point(uow, "unit:cn-construction")
    with pytest.raises(Refused):
        async with uow:
            await admin.remove_contact_point(uow, "unit:cn-construction")


async def test_a_unit_reads_its_own_inbox_messages_and_an_admin_queues_a_dead_letter_again():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, case_dispatched(reported.case_id))
    [message] = uow.store.to("unit:cn-construction")
    async with uow:
        read = await admin.mark_read(uow, message["id"], recipient="unit:cn-construction")
    assert read["read_at"] is not None
    with pytest.raises(Refused) as not_yours:
        async with uow:
            await admin.mark_read(uow, message["id"], recipient="unit:st-huayang-office")
    assert not_yours.value.status == 404
    receipt = uow.store.to(f"resident:{reported.case_id}")[0]
    with pytest.raises(Refused):
        async with uow:
            await admin.retry_dead_letter(uow, receipt["id"])  # queued, not dead-lettered
    receipt = uow.store.to(f"resident:{reported.case_id}")[0]  # the failed unit of work rolled the store back
    receipt.update(status=DeliveryStatus.DEAD_LETTERED, attempts=5)
    async with uow:
        again = await admin.retry_dead_letter(uow, receipt["id"])
    assert (again["status"], again["attempts"]) == (DeliveryStatus.QUEUED, 0)


async def test_a_partner_s_endpoint_is_its_own_and_only_an_active_one_replays_what_was_given_up():
    uow = _uow()
    async with uow:
        endpoint, secret = await partners.register_endpoint(
            uow, partner="p-1", url="https://partner.example/hooks", areas=["st-huayang", "st-huayang"],
            event_types=["org.gridlink.case.reported.v1"])
    assert secret.startswith("whsec_") and endpoint["areas"] == ["st-huayang"] and "secret" in endpoint
    given_up = dict(id="msg_1", endpoint_id=endpoint["id"], status=WebhookStatus.FAILED, created_at=DAYTIME)
    uow.store.webhook_messages.append(given_up)
    with pytest.raises(Refused) as not_yours:
        async with uow:
            await partners.replay_failed(uow, endpoint["id"], "p-2", since=DAYTIME)
    assert not_yours.value.status == 404
    uow.store.endpoints[endpoint["id"]]["status"] = "disabled"  # (after the rollback above: the store's own dict)
    with pytest.raises(Refused) as disabled:
        async with uow:
            await partners.replay_message(uow, endpoint["id"], "msg_1", "p-1")
    assert disabled.value.code == "endpoint_disabled"
    async with uow:
        await partners.enable_endpoint(uow, endpoint["id"])
        assert await partners.replay_failed(uow, endpoint["id"], "p-1", since=DAYTIME) == 1
    assert [m["status"] for m in uow.store.webhook_messages] == [WebhookStatus.PENDING]
    async with uow:
        await partners.remove_endpoint(uow, endpoint["id"], "p-1")
    with pytest.raises(Refused):
        async with uow:
            await partners.remove_endpoint(uow, endpoint["id"], "p-1")


# --- everyone told their part -------------------------------------------------------------------------------------

async def test_the_unit_reads_the_sub_item_and_place_by_name_and_an_urgent_case_says_so():
    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, case_dispatched(reported.case_id, urgent=True, assisting_unit_ids=("cn-greening",)))
    [lead] = uow.store.to("unit:cn-construction")
    assert lead["body"] == "【紧急】新派单：排水（华阳路街道 秀水居委会 秀水第1网格），请及时签收。"
    [assisting] = uow.store.to("unit:cn-greening")
    assert assisting["template"] == "assisting" and "区建设和管理委员会牵头办理排水" in assisting["body"]
    assert "报告协办情况" in assisting["body"]


async def test_summoned_units_hear_of_the_meeting_and_a_missed_check_in_reaches_the_centre_and_the_unit_leader():
    from shared.events import CaseCheckInMissed, CaseJointHandlingStarted

    uow = _uow()
    reported = case_reported()
    by = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)  # 12:30 in Shanghai
    await _handle(uow, reported, CaseJointHandlingStarted(
        case_id=reported.case_id, unit_ids=("cn-construction", "cn-enforcement"), check_in_by=by, started_at=DAYTIME))
    for unit in ("cn-construction", "cn-enforcement"):
        [summoned] = uow.store.to(f"unit:{unit}")
        assert summoned["template"] == "summoned"
        assert summoned["body"] == ("【联合处置】区建设和管理委员会、区城市管理行政执法局共同处置此案，"
                                    "请于2026-11-23 12:30前到场报到。")
    await _handle(uow, CaseCheckInMissed(case_id=reported.case_id, unit_ids=("cn-enforcement",), check_in_by=by,
                                         flagged_at=DAYTIME))
    [centre] = uow.store.to("dispatcher:cn-changning")
    assert centre["body"] == "【未报到】区城市管理行政执法局未在2026-11-23 12:30前到场报到。"
    [leader] = uow.store.to("leader:unit:cn-enforcement")
    assert leader["template"] == "check_in_missed" and not uow.store.to("leader:unit:cn-construction")


async def test_units_of_the_claiming_board_are_told_a_case_is_open_and_then_who_claimed_it():
    from shared.events import CaseClaimed, CaseOpenedForClaiming

    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, CaseOpenedForClaiming(
        case_id=reported.case_id, category_code="drainage", area=HUAYANG_AREA,
        unit_ids=("cn-construction", "hy-management-office"), opened_at=DAYTIME))
    for unit in ("cn-construction", "hy-management-office"):
        [open_] = uow.store.to(f"unit:{unit}")
        assert open_["template"] == "claimable" and "可认领案件：排水（华阳路街道" in open_["body"]
    await _handle(uow, CaseClaimed(case_id=reported.case_id, unit_id="hy-management-office",
                                   unit_name="华阳路街道管理办", board_unit_ids=("cn-construction",),
                                   claimed_at=DAYTIME))
    claimed = uow.store.to("unit:cn-construction")[-1]
    assert claimed["template"] == "claimed" and "已由华阳路街道管理办认领" in claimed["body"]
    assert [d["template"] for d in uow.store.to("unit:hy-management-office")] == ["claimable"]
    now_handling = uow.store.to(f"resident:{reported.case_id}")[-1]
    assert now_handling["template"] == "now_handling" and "华阳路街道管理办认领办理" in now_handling["body"]


async def test_the_resident_is_told_the_meeting_date_and_place_and_the_unit_to_attend():
    from shared.events import CaseExplanationMeetingScheduled

    uow = _uow()
    reported = case_reported()
    await _handle(uow, reported, CaseExplanationMeetingScheduled(
        case_id=reported.case_id, meeting_id=7, round=2, scheduled_for=datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
        place="秀水居委会会议室", unit_id="cn-construction", scheduled_at=DAYTIME))
    meeting = uow.store.to(f"resident:{reported.case_id}")[-1]
    assert meeting["template"] == "meeting"
    assert "情况说明会定于2026-11-25 19:00在秀水居委会会议室举行" in meeting["body"]
    [unit] = uow.store.to("unit:cn-construction")
    assert "派员到会" in unit["body"]


async def test_a_supervisor_hears_of_an_order_left_unanswered_and_an_english_reader_reads_names_in_english():
    from shared.events import CaseEscalated, EscalationLevel

    uow = _uow(locales={"supervisor:sup-wang": "en"})
    reported = case_reported()
    await _handle(uow, reported, CaseSupervisorAssigned(case_id=reported.case_id, supervisor_id="sup-wang",
                                                        assigned_at=DAYTIME),
                  CaseEscalated(case_id=reported.case_id, unit_id="cn-construction",
                                level=EscalationLevel.STREET_LEADER, reason="督办单未在期限内答复",
                                escalated_at=DAYTIME, supervisor_id="sup-wang"))
    [unanswered] = uow.store.to("supervisor:sup-wang")
    assert unanswered["template"] == "unanswered_order" and unanswered["locale"] == "en"
    assert unanswered["body"].startswith("[Unanswered order] District Construction and Management Commission did not")


def test_every_recipient_the_rules_name_has_an_inbox_someone_reads():
    """The linkage centre reads the district's dispatcher inbox, a unit's leader the unit's leader inbox."""
    from services.notification.api.messages import inbox_of
    from shared.auth import Principal, Role

    def who(role, **kw):
        return inbox_of(Principal(subject="s-1", role=role, jurisdiction="cn-changning", **kw))

    assert who(Role.DISPATCHER) == "dispatcher:cn-changning"
    assert who(Role.LEADER, unit_id="cn-enforcement") == "leader:unit:cn-enforcement"
    assert who(Role.LEADER, scope=("cn-changning", "st-huayang")) == "leader:st-huayang"
    assert who(Role.UNIT_STAFF, unit_id="cn-greening") == "unit:cn-greening"
    assert who(Role.SUPERVISOR) == "supervisor:s-1"
