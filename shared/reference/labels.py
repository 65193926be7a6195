"""What the shared vocabulary is called in each language (channels, verdicts, deadline kinds, escalation levels,
reasons a unit waits or returns), and times as a person reads them: in the jurisdiction's zone, without a "Z"."""

from __future__ import annotations

from datetime import date, datetime

from shared.local_time import LOCAL_ZONE

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "channel": {"self_service": ("自助上报", "self-service"), "hotline": ("热线", "hotline"),
                "messaging_group": ("微信群", "messaging group"), "grid_patrol": ("网格巡查", "grid patrol"),
                "batch_import": ("批量导入", "batch import"), "open311": ("开放接口", "Open311")},
    "source": {"suggestion_box": ("意见箱", "suggestion box"), "email": ("电子邮件", "e-mail"),
               "questionnaire": ("调查问卷", "questionnaire"), "one_to_one_talk": ("一对一谈心", "one-to-one talk"),
               "opinion_book": ("小区意见簿", "opinion book"), "visit_log": ("电子走访日志", "visit log"),
               "liaison_log": ("电子联系日志", "liaison log")},
    "verdict": {"satisfied": ("满意", "satisfied"), "basically_satisfied": ("基本满意", "basically satisfied"),
                "dissatisfied": ("不满意", "dissatisfied")},
    "kind": {"sign_for": ("签收", "sign-for"), "completion": ("办结", "completion"),
             "planned": ("计划办结", "planned completion"), "reply": ("督办回复", "reply"),
             "verdict": ("评价", "verdict")},
    "level": {"urging": ("催办", "urging"), "supervision_order": ("督办单", "supervision order"),
              "street_leader": ("街道领导", "street leaders"), "district": ("区领导", "district leaders")},
    "suspension": {"waiting_for_resident": ("等待居民", "waiting for the resident"),
                   "waiting_for_third_party": ("等待第三方", "waiting for a third party"),
                   "weather": ("天气原因", "weather")},
    "state": {"awaiting_classification": ("待确认分类", "awaiting classification"), "triage": ("待分拨", "in triage"),
              "on_claiming_board": ("待认领", "open for claiming"), "dispatched": ("已派发", "dispatched"),
              "signed": ("已签收", "signed for"), "in_progress": ("办理中", "in progress"),
              "transfer_requested": ("申请转办", "transfer requested"), "explained": ("已说明", "explained"),
              "completed": ("已办结", "completed"), "reopened": ("已重新交办", "reopened"),
              "explanation_meeting": ("待开说明会", "explanation meeting"), "received": ("已受理", "received"),
              "closed": ("已结案", "closed"),
              "reported": ("已受理", "reported")},
    "outcome": {"met": ("按时", "met"), "late": ("超时", "late"), "answered": ("已答复", "answered"),
                "unanswered": ("未答复", "unanswered"), "handed_over": ("已移交", "handed over"),
                "returned": ("已退回", "returned"), "explained": ("已说明", "explained"),
                "callback_requested": ("转回访", "call-back requested")},
    "via": {"resident": ("居民自评", "by the resident"), "callback": ("回访", "on a call-back")},
    "rate": {"response": ("按时响应率", "response"), "on_time": ("按时办结率", "on time"),
             "returned": ("退单率", "returned"), "redo": ("返工率", "redone"), "resolved": ("解决率", "resolved"),
             "satisfied": ("满意率", "satisfied"), "panel": ("评议满意率", "panel satisfied"),
             "rebound": ("反弹率", "rebound")},
    "trend": {"rising": ("上升", "rising"), "steady": ("持平", "steady"), "falling": ("下降", "falling")},
    "meeting": {"called": ("待安排", "called"), "scheduled": ("已安排", "scheduled"), "held": ("已召开", "held")},
    "unit_kind": {"district_department": ("区级部门", "district department"),
                  "street_department": ("街道部门", "street department"),
                  "community_committee": ("居委会", "residents' committee"), "grid_worker": ("网格员", "grid worker"),
                  "resident_unit": ("驻区单位", "resident unit"), "partner_organisation": ("社会组织", "partner organisation"),
                  "enterprise": ("企业", "enterprise"), "volunteer_team": ("志愿服务队", "volunteer team")},
    "score": {"5": ("5分 很好", "5 very good"), "4": ("4分 较好", "4 good"), "3": ("3分 一般", "3 fair"),
              "2": ("2分 较差", "2 poor"), "1": ("1分 很差", "1 very poor")},
    "party": {"community": ("社区代表", "community"), "party_member": ("党员代表", "party members"),
              "resident": ("居民代表", "residents")},
    "priority": {"low": ("低", "low"), "normal": ("一般", "normal"), "high": ("较高", "high"),
                 "urgent": ("紧急", "urgent")},
    "time_limit_class": {"urgent": ("紧急", "urgent"), "consultation": ("咨询", "consultation"), "help": ("求助", "help"),
                         "complaint": ("投诉", "complaint"), "complex": ("复杂", "complex")},
    "role": {"operator": ("热线话务员", "hotline operator"), "dispatcher": ("联动中心调度", "dispatcher"),
             "unit_staff": ("承办单位人员", "unit staff"), "supervisor": ("督办人员", "supervisor"),
             "resident_supervisor": ("居民监督员", "resident supervisor"), "leader": ("领导", "leader"),
             "partner": ("合作单位", "partner"), "admin": ("系统管理员", "administrator")},
    "degradation": {"calendar_year_missing": ("缺少工作日历", "working calendar missing"),
                    "check_failed": ("自检失败", "self-check failed")},
    "dead_letter": {"undecodable": ("无法解码", "undecodable"), "schema_violation": ("不符合事件格式", "not the event's schema"),
                    "rejected": ("被拒绝", "rejected"), "kept_failing": ("多次重试仍失败", "kept failing")},
    "audience": {"resident": ("居民", "the resident"), "unit": ("承办单位", "the unit"),
                 "supervisor": ("督办人员", "the supervisor"), "leader": ("领导", "the leaders"),
                 "unit_leader": ("单位负责人", "the unit's leader"), "dispatcher": ("联动中心", "the linkage centre")},
    "message_channel": {"sms": ("短信", "SMS"), "email": ("电子邮件", "e-mail"), "inbox": ("站内消息", "inbox"),
                        "messaging_group": ("微信群", "messaging group"), "webhook": ("推送", "webhook")},
    "delivery": {"queued": ("待发送", "queued"), "delivered": ("已送达", "delivered"),
                 "awaiting_contact": ("等待联系方式", "awaiting a contact"), "no_contact": ("无联系方式", "no contact"),
                 "dead_lettered": ("发送失败", "failed")},
    "return": {"not_our_duty": ("非本单位职责", "not our duty"), "wrong_area": ("不属本辖区", "wrong area"),
               "duplicate": ("重复案件", "duplicate"), "missing_information": ("信息不全", "missing information")},
}


def label(vocabulary: str, value, locale: str = "zh") -> str:
    """The word for ``value`` of a vocabulary in ``locale`` (an unknown value as it is)."""
    value = getattr(value, "value", value)
    words = LABELS[vocabulary].get(str(value))
    return (words[1] if locale == "en" else words[0]) if words else str(value)


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in the jurisdiction's zone (a date as it is)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_ZONE).strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)
