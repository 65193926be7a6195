"""The actions a page offers on a case, in plain Python: each one's form (fields, names in both languages) and how
its answers become the body of the owning service's route. Which of them a user sees is the owner's word (dispatch
lists the actions open to the caller); the console only draws the forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo


@dataclass(frozen=True)
class Field:
    name: str
    # text | textarea | date | datetime | select (a vocabulary) | yesno | unit/units | photos | hidden; the
    # administrator's forms add ref/refs (reference data), number, integer, percents, words, lines and code
    kind: str
    zh: str
    en: str
    required: bool = True
    options: str = ""  # a select's vocabulary (``shared.reference.labels``)


@dataclass(frozen=True)
class ActionForm:
    path: str  # dispatch's POST /v1/cases/{case_id}/<path>
    zh: str
    en: str
    fields: tuple[Field, ...] = ()
    primary: bool = False  # the step that moves the case on (drawn first, as the main button)

    def body(self, answers: Mapping[str, str | list[str]], version: int, photo_ids: list[str] = ()) -> dict:
        """The owner's request body: the case version as the user saw it, and the answers by field (empty optional
        answers left out; a date stays a string, the owner checks it)."""
        body: dict = {"version": version}
        for f in self.fields:
            value = answers.get(f.name)
            if f.kind == "photos":
                body[f.name] = list(photo_ids)
            elif f.kind == "units":
                body[f.name] = [v for v in (value or []) if v]
            elif value not in (None, ""):
                body[f.name] = value.strip() if isinstance(value, str) else value
        return body


_PHOTOS = Field("photos", "photos", "现场照片（可选，最多9张）", "photos (optional, up to 9)", required=False)

#: Every action form, in the order a page draws them.
ACTION_FORMS = {form.path: form for form in (
    ActionForm("dispatch", "派发", "Dispatch", (Field("lead", "unit", "主办单位", "lead unit"),
                                                Field("assisting", "units", "协办单位（可选）", "assisting units (optional)",
                                                      required=False),
                                                Field("reason", "text", "派发理由", "reason")), primary=True),
    ActionForm("route", "按规则自动派发", "Route by the rules", (Field("reason", "text", "说明（可选）",
                                                                      "note (optional)", required=False),)),
    ActionForm("board", "发布到抢单板", "Open for claiming"),
    ActionForm("redispatch", "改派", "Dispatch to another unit",
               (Field("lead", "unit", "新的主办单位", "new lead unit"),
                Field("assisting", "units", "协办单位（可选）", "assisting units (optional)", required=False),
                Field("reason", "text", "改派理由", "reason"))),
    ActionForm("transfer-approval", "同意转办", "Approve the transfer", primary=True),
    ActionForm("transfer-refusal", "不同意转办", "Refuse the transfer", (Field("reason", "text", "理由", "reason"),)),
    ActionForm("claim", "认领", "Claim", primary=True),
    ActionForm("sign", "签收", "Sign for it", primary=True),
    ActionForm("check-in", "报到", "Check in", primary=True),
    ActionForm("progress", "反馈进展", "Note progress", (Field("text", "textarea", "进展情况", "progress"), _PHOTOS)),
    ActionForm("complete", "办结", "Complete", (Field("result", "textarea", "办理结果", "result"), _PHOTOS),
               primary=True),
    ActionForm("part", "反馈协办情况", "Report our part", (Field("text", "textarea", "协办情况", "our part"),),
               primary=True),
    ActionForm("return", "退回", "Return it", (Field("reason", "select", "退回原因", "reason", options="return"),
                                                Field("text", "textarea", "说明", "explanation"))),
    ActionForm("extension-request", "申请延期", "Ask for more time",
               (Field("reason", "text", "延期理由", "reason"), Field("proposed_date", "date", "申请办结日期",
                                                                     "proposed date"))),
    ActionForm("explanation", "说明暂难解决", "Explain why it cannot be solved soon",
               (Field("explanation", "textarea", "情况说明", "explanation"),
                Field("planned_date", "date", "计划解决日期", "planned date"))),
    ActionForm("suspension", "暂停计时（等待中）", "Wait (pause)",
               (Field("reason", "select", "等待什么", "waiting for", options="suspension"),
                Field("text", "text", "说明", "explanation"))),
    ActionForm("resumption", "恢复办理", "Resume"),
)}


def forms_open(paths: list[str]) -> list[ActionForm]:
    """The forms for the actions the owner says are open, main steps first."""
    chosen = [ACTION_FORMS[p] for p in ACTION_FORMS if p in paths]
    return sorted(chosen, key=lambda f: not f.primary)


@dataclass(frozen=True)
class Countdown:
    """A unit's running clock on a case, as the page counts it down."""

    unit_id: str
    kind: str
    due_at: datetime


#: Which of a unit's clocks still run in each state of the case (the others are met or stopped).
RUNNING_CLOCKS = {"dispatched": ("sign_for", "completion"), "signed": ("completion", "reply"),
                  "in_progress": ("completion", "reply"), "reopened": ("sign_for", "completion"),
                  "completed": ("verdict",)}


def running_clocks(status: str, clocks: Mapping[str, Mapping[str, Mapping[str, str]]], unit_ids: list[str],
                   given_at: datetime | None) -> list[Countdown]:
    """The clocks to count down: those of the units that hold the case now, set since they got it, that the case's
    state has not stopped."""
    kinds = RUNNING_CLOCKS.get(status, ())
    found = []
    for unit in unit_ids:
        for kind, clock in sorted((clocks.get(unit) or {}).items()):
            if kind in kinds and (given_at is None or datetime.fromisoformat(clock["set"]) >= given_at):
                found.append(Countdown(unit, kind, datetime.fromisoformat(clock["due"])))
    return sorted(found, key=lambda c: c.due_at)


@dataclass(frozen=True)
class QueueForm:
    """An action on an item of a queue, at the service that owns the item (``path`` names the item's ``{id}``)."""

    name: str
    service: str
    path: str
    zh: str
    en: str
    fields: tuple[Field, ...] = ()
    roles: tuple[str, ...] = ()

    def body(self, answers: Mapping[str, str], zone: tzinfo | None = None) -> dict | None:
        """The owner's body: yes/no as booleans, a moment typed without a zone in the reader's ``zone``, empty
        optional answers left out (None: the route takes none)."""
        if not self.fields:
            return None
        body: dict = {}
        for f in self.fields:
            value = (answers.get(f.name) or "").strip()
            if f.kind == "yesno":
                body[f.name] = value == "yes"
            elif value and f.kind == "datetime":
                try:
                    moment = datetime.fromisoformat(value)
                except ValueError:
                    moment = None  # the owner refuses it at the field
                body[f.name] = moment.replace(tzinfo=moment.tzinfo or zone).isoformat() if moment else value
            elif value:
                body[f.name] = value
        return body


#: What a queue's item can be answered with, and who may.
QUEUE_FORMS = {form.name: form for form in (
    QueueForm("extension-decision", "supervision", "/v1/extension-requests/{id}/decision", "审批延期", "Decide",
              (Field("approve", "yesno", "是否同意", "approve"),
               Field("due_date", "date", "新的办结日期（同意时，可选）", "new due date (if approved, optional)",
                     required=False),
               Field("reason", "text", "理由", "reason")), roles=("supervisor",)),
    QueueForm("callback-verdict", "intake", "/v1/cases/{id}/callback-verdict", "记录回访评价", "Record the verdict",
              (Field("verdict", "select", "居民评价", "verdict", options="verdict"),
               Field("resolved", "yesno", "问题是否解决", "solved"),
               Field("comment", "text", "居民意见（可选）", "comment (optional)", required=False)), roles=("operator",)),
    QueueForm("unit-callback-answer", "intake", "/v1/unit-callbacks/{id}/answer", "记录居民答复",
              "Record the answer", (Field("reached", "yesno", "是否联系上", "reached"),
                                    Field("answer", "textarea", "居民的答复", "what the resident said")),
              roles=("operator",)),
    QueueForm("urging", "supervision", "/v1/cases/{id}/urging", "催办", "Urge the unit",
              (Field("reason", "text", "催办事由", "reason"),
               Field("reply_within_hours", "text", "书面答复时限（小时，可选）", "hours to answer in writing (optional)",
                     required=False)), roles=("supervisor",)),
    QueueForm("meeting-schedule", "supervision", "/v1/meetings/{id}/schedule", "安排说明会", "Schedule the meeting",
              (Field("scheduled_for", "datetime", "时间", "when"), Field("place", "text", "地点", "where")),
              roles=("supervisor",)),
    QueueForm("meeting-record", "supervision", "/v1/meetings/{id}/record", "记录说明会", "Record the meeting",
              (Field("summary", "textarea", "会议情况", "what was said"),
               Field("accepted", "yesno", "居民是否接受说明（否：再次重办）",
                     "the residents accepted it (no: the case is reopened once more)")), roles=("supervisor",)),
    QueueForm("panel-rating", "supervision", "/v1/panels/{id}/ratings", "记录评议", "Record the panel's rating",
              (Field("case_id", "hidden", "", ""),
               Field("community", "select", "社区代表评分", "community's score", options="score"),
               Field("party_member", "select", "党员代表评分", "party members' score", options="score"),
               Field("resident", "select", "居民代表评分", "residents' score", options="score"),
               Field("comment", "text", "评议意见（可选）", "comment (optional)", required=False)),
              roles=("supervisor",)),
    QueueForm("dead-letter-retry", "notification", "/v1/dead-letters/{id}/retry", "重新发送", "Send again",
              roles=("admin",)),
)}
