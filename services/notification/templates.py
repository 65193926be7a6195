"""Who is told what, as data: event type x audience -> channel and message (Jinja2 templates come with issue 6)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import CaseDispatched, CaseReported


@dataclass(frozen=True)
class Rule:
    audience: str          # resident | unit
    template: str
    channel: str           # sms | inbox
    text_zh: str


RULES: dict[str, tuple[Rule, ...]] = {
    CaseReported.type: (
        Rule("resident", "received", "sms", "【gridlink】您反映的问题已受理，查询码{tracking_code}。"),
    ),
    CaseDispatched.type: (
        Rule("resident", "dispatched", "sms", "【gridlink】您反映的问题已派发至{unit_name}办理。"),
        Rule("unit", "new_assignment", "inbox", "新派单：{category_code}，请及时签收。"),
    ),
}


def render(rule: Rule, **values: str) -> str:
    return rule.text_zh.format(**values)
