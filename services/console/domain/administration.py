"""The administrator's forms, in plain Python: what each edits at the service that owns it (units and routing rules at
dispatch, sub-items and the hotline's knowledge base at intake, time-limit policies, the working calendar and supervisors at supervision), its fields
in both languages, and how the answers become the owner's body. The owner checks everything again."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.console.domain.actions import Field

#: A list typed into one box: words apart by commas (either script's), the Chinese enumeration comma or spaces.
_APART = re.compile(r"[,，、;；\s]+")


class AnswerProblem(ValueError):
    """An answer the console can tell is wrong before asking the owner (a number that is not one)."""

    def __init__(self, field: str, code: str = "invalid_field", message: str = "this value is not valid"):
        super().__init__(field)
        self.field, self.code, self.message = field, code, message


@dataclass(frozen=True)
class AdminForm:
    """An edit of one kind of reference record. ``path`` names the record (``{id}``; ``{j}``: the jurisdiction);
    ``create`` is the owner's route for a new one (None: ``path`` with a new id creates it too)."""

    name: str
    section: str  # the administration page's section it belongs to
    service: str
    path: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    create: str | None = None
    new_id: Field | None = None  # a new record's id (sent in the body when ``create`` is set, else in the path;
    # none with ``create``: the owner names the new record)
    keeps: tuple[str, ...] = ()  # the current record's keys sent back unchanged (what the form does not edit)
    removal: tuple[str, str] | None = None  # the words of the DELETE button (zh, en); None: nothing to remove
    one_of: tuple[str, str] | None = None  # two fields of which exactly one is answered

    def body(self, answers: Mapping[str, str | list[str]], current: Mapping | None = None) -> dict:
        """The owner's body from the answers (and the kept part of the current record)."""
        body = {key: current[key] for key in self.keeps if current and key in current}
        for f in self.fields:
            body[f.name] = answer_value(f, answers.get(f.name))
        if self.one_of and (body[self.one_of[0]] is None) == (body[self.one_of[1]] is None):
            raise AnswerProblem(self.one_of[0], "choose_one", "answer exactly one of the two")
        return {k: v for k, v in body.items() if v is not None}


_RECORD_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


def record_id(text: str, field: str) -> str:
    """A new record's id as every owner takes one (it becomes part of an address)."""
    if not _RECORD_ID.match(text):
        raise AnswerProblem(field)
    return text


def answer_value(f: Field, value: str | list[str] | None):
    """One answer as the owner takes it; None: left out (the owner's default)."""
    if f.kind in ("refs", "units"):
        return [v for v in (value or []) if v]
    if isinstance(value, list):
        value = value[-1] if value else ""
    text = (value or "").strip()
    if f.kind == "yesno":
        return text == "yes"
    if f.kind == "words":
        return [w for w in _APART.split(text) if w]
    if f.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if not text:
        return None
    if f.kind in ("number", "integer"):
        try:
            number = float(text) if f.kind == "number" else int(text)
        except ValueError:
            raise AnswerProblem(f.name) from None
        return number
    if f.kind == "percents":
        try:
            return [round(float(p.rstrip("%")) / 100, 4) for p in _APART.split(text) if p]
        except ValueError:
            raise AnswerProblem(f.name) from None
    return text


def shown_value(f: Field, value) -> str | list[str]:
    """A current record's value as the form shows it (the inverse of ``answer_value``)."""
    if value is None:
        return "" if f.kind not in ("refs", "units") else []
    if f.kind == "yesno":
        return "yes" if value else "no"
    if f.kind == "words":
        return "、".join(value)
    if f.kind == "lines":
        return "\n".join(value)
    if f.kind == "percents":
        return "、".join(f"{round(p * 100)}%" for p in value)
    if f.kind in ("refs", "units"):
        return list(value)
    if f.kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_UNIT_KIND = Field("kind", "select", "单位类型", "kind", options="unit_kind")
_NAME_ZH = Field("name_zh", "text", "中文名称", "name in Chinese")
_NAME_EN = Field("name_en", "text", "英文名称", "name in English")
_CODE = Field("id", "code", "编码（小写字母、数字、-、_）", "code (lower-case letters, digits, - and _)")

#: Every edit the administration page offers.
ADMIN_FORMS = {form.name: form for form in (
    AdminForm("unit", "units", "dispatch", "/v1/units/{id}", "单位", "Unit", (
        _UNIT_KIND, Field("parent_id", "ref", "上级单位（可选）", "parent unit (optional)", required=False,
                          options="unit"),
        _NAME_ZH, _NAME_EN,
        Field("areas", "refs", "服务区域（可多选）", "areas served (choose one or more)", options="area"),
        Field("categories", "refs", "办理事项（不选：不限）", "sub-items handled (none: any)", required=False,
              options="category"),
        Field("contact", "text", "办公电话（可选）", "office line (optional)", required=False),
        Field("hours", "text", "办公时间（如 08:30-17:30，可选）", "office hours (e.g. 08:30-17:30, optional)",
              required=False)),
        create="/v1/units", new_id=_CODE),
    AdminForm("rule", "rules", "dispatch", "/v1/routing-rules/{id}", "派单规则", "Routing rule", (
        Field("category", "ref", "事项或大类（不选：不限）", "sub-item or class (none: any)", required=False,
              options="category_or_class"),
        Field("area", "ref", "区域（不选：全区）", "area (none: anywhere)", required=False, options="area"),
        Field("lead_unit_id", "ref", "主办单位（与下一项二选一）", "lead unit (or the next)", required=False,
              options="unit"),
        Field("lead_kind", "select", "或：所在区域的某类单位", "or: the area's unit of a kind", required=False,
              options="unit_kind"),
        Field("assisting", "refs", "协办单位（可选）", "assisting units (optional)", required=False, options="unit"),
        Field("assisting_kind", "select", "协办：所在区域的某类单位（可选）", "assisting: the area's unit of a kind "
              "(optional)", required=False, options="unit_kind"),
        Field("local_only", "yesno", "仅限属地优先的事项", "only sub-items marked for local handling")),
        create="/v1/routing-rules", new_id=_CODE, removal=("删除规则", "Remove the rule"),
        one_of=("lead_unit_id", "lead_kind")),
    AdminForm("category", "categories", "intake", "/v1/admin/categories/{id}", "事项", "Sub-item", (
        _NAME_ZH, _NAME_EN,
        Field("class_code", "ref", "所属大类", "class", options="category_class"),
        Field("service_code", "text", "对外服务代码（Open311）", "Open311 service code"),
        Field("priority", "select", "优先级", "priority", options="priority"),
        Field("time_limit_class", "select", "时限类别", "time-limit class", options="time_limit_class"),
        Field("handle_locally", "yesno", "属地优先（先派社区、街道）", "local first (community and street first)"),
        Field("keywords", "words", "关键词（用顿号或逗号分开）", "keywords (apart by commas)"),
        Field("examples", "lines", "例句（每行一句，用于自动分类）", "examples (one a line, for the classifier)",
              required=False)),
        create="/v1/admin/categories", new_id=Field("code", "code", "编码（小写字母、数字和-）",
                                                     "code (lower-case letters, digits and -)"),
        keeps=("attributes",), removal=("停用事项", "Retire the sub-item")),
    AdminForm("policy", "policies", "supervision", "/v1/jurisdictions/{j}/policies/{id}", "办理时限", "Time-limit policy",
              (Field("sign_for_hours", "number", "签收时限（小时）", "hours to sign for it"),
               Field("completion_days", "integer", "办结时限（工作日，与下一项二选一）",
                     "working days to complete (or the next)", required=False),
               Field("completion_hours", "number", "或：办结时限（小时）", "or: hours to complete", required=False),
               Field("clock", "yesno", "按自然时间计（紧急事项）", "count calendar time (urgent matters)"),
               Field("warn_at", "percents", "预警点（如 50%、80%）", "warn at (e.g. 50%, 80%)"),
               Field("max_extensions", "integer", "最多延期次数", "extensions at most"),
               Field("max_extension_days", "integer", "每次最多延期天数", "days an extension may add at most"),
               Field("reply_hours", "number", "催办书面答复时限（小时）", "hours to answer an urging in writing"),
               Field("callback_after_days", "integer", "办结后几个工作日回访", "working days before the call-back"),
               Field("max_reopenings", "integer", "不满意最多重办几次（之后召开说明会）",
                     "dissatisfied rounds reopened before a meeting")),
              keeps=("pauses_for",), one_of=("completion_days", "completion_hours")),
    AdminForm("supervisor", "supervisors", "supervision", "/v1/supervisors/{id}", "督办人员", "Supervisor", (
        Field("name", "text", "姓名", "name"),
        Field("areas", "refs", "负责区域（不选：全区）", "areas (none: the whole district)", required=False,
              options="area"),
        Field("categories", "refs", "负责事项（不选：不限）", "sub-items (none: all)", required=False,
              options="category"),
        Field("active", "yesno", "在岗", "active")),
        new_id=Field("id", "code", "账号（与其登录名一致）", "id (as they sign in)")),
    AdminForm("knowledge", "knowledge", "intake", "/v1/admin/knowledge/{id}", "知识库答复", "Knowledge-base answer", (
        Field("question", "text", "常见问题（来电人会怎么问）", "the question (as callers ask it)"),
        Field("answer", "textarea", "答复口径", "the answer to give"),
        Field("keywords", "words", "关键词（用顿号或逗号分开，可选）", "keywords (apart by commas, optional)",
              required=False),
        Field("category", "ref", "相关事项（谁来管，可选）", "the sub-item it is about (who handles it, optional)",
              required=False, options="category")),
        create="/v1/admin/knowledge", removal=("停用答复", "Retire the answer")),
    AdminForm("calendar-day", "calendar", "supervision", "/v1/jurisdictions/{j}/calendar/{id}", "日历调整",
              "A day of the calendar", (
                  Field("day", "date", "日期", "day"),
                  Field("workday", "yesno", "调休上班（否：放假）", "an adjusted working day (no: a holiday)"),
                  Field("name", "text", "名称（如 国庆节）", "name (e.g. National Day)"))),
)}


def day_of(answers: Mapping[str, str]) -> dict:
    """The calendar day an administrator entered, checked as far as the console can (the owner checks the rest)."""
    try:
        day = date.fromisoformat(str(answers.get("day") or ""))
    except ValueError:
        raise AnswerProblem("day") from None
    name = str(answers.get("name") or "").strip()
    if not name:
        raise AnswerProblem("name", "missing_field", "this field is required")
    return {"day": day.isoformat(), "workday": answers.get("workday") == "yes", "name": name}


def year_with(days: Sequence[Mapping], day: Mapping) -> list[dict]:
    """A year's exceptions with one day entered (replacing what that date had)."""
    kept = [{"day": d["day"], "workday": d["workday"], "name": d["name"]} for d in days if d["day"] != day["day"]]
    return sorted([*kept, dict(day)], key=lambda d: d["day"])


def year_without(days: Sequence[Mapping], day: str) -> list[dict]:
    """A year's exceptions with one date back to an ordinary Monday-to-Friday day."""
    return [{"day": d["day"], "workday": d["workday"], "name": d["name"]} for d in days if d["day"] != day]
