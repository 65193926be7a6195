"""Reads batch-import files (suggestion-box slips, questionnaires, visit logs) from CSV or XLSX into plain rows, and
turns each row into the report it stands for."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from services.intake.domain.cases import national_phone
from services.intake.domain.reports import ReportDraft
from shared.events import Channel
from shared.refusals import Refused
from shared.spreadsheets import SheetRow, UnreadableFile, read_sheet

# Column headers as people write them, Chinese or English, mapped to one name each.
COLUMNS = {
    "kind": ("kind", "source", "type", "来源", "类型", "渠道"),
    "description": ("description", "text", "content", "内容", "问题描述", "诉求内容", "意见建议"),
    "address": ("address", "地址", "位置"),
    "lat": ("lat", "latitude", "纬度"),
    "lon": ("lon", "long", "lng", "longitude", "经度"),
    "name": ("name", "姓名", "联系人"),
    "phone": ("phone", "mobile", "电话", "手机", "联系电话"),
    "category": ("category", "类别", "分类"),
    "received_on": ("date", "received_on", "日期", "收集日期"),
    "anonymous": ("anonymous", "匿名"),
}
# The seven collection channels of the sources: each slip keeps its kind on the case.
SLIP_KINDS = {
    "suggestion_box": ("suggestion_box", "意见箱", "建议箱"),
    "email": ("email", "e-mail", "电子邮件", "邮件", "邮箱"),
    "questionnaire": ("questionnaire", "问卷", "调查问卷"),
    "one_to_one_talk": ("one_to_one_talk", "talk", "谈心", "一对一谈心", "面谈", "谈话"),
    "opinion_book": ("opinion_book", "意见簿", "小区意见簿"),
    "visit_log": ("visit_log", "走访", "走访日志", "走访记录", "电子走访日志"),
    "liaison_log": ("liaison_log", "联系日志", "民情日志", "电子联系日志"),
}
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")

class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"      # a worker has it and beats a heartbeat
    DONE = "done"
    FAILED = "failed"        # the file could not be read at all


class RowOutcome(StrEnum):
    """What became of one row: a new case, a co-report of an open one, a row imported before, or why not."""

    ACCEPTED = "accepted"
    LINKED = "linked"
    ALREADY_IMPORTED = "already_imported"
    REFUSED = "refused"


#: One slip: its row number and values by column name.
SlipRow = SheetRow


def slip_kind(raw: str) -> str | None:
    label = raw.strip().lower()
    for kind, aliases in SLIP_KINDS.items():
        if label in aliases:
            return kind
    return None


def read_slips(content: bytes, filename: str, *, max_rows: int) -> list[SlipRow]:
    """Every non-empty row of the file, or ``UnreadableFile`` if the file as a whole cannot be read."""
    return read_sheet(content, filename, columns=COLUMNS, required=("description",), max_rows=max_rows)


__all__ = ["COLUMNS", "SLIP_KINDS", "SlipRow", "UnreadableFile", "read_slips", "slip_kind"]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_YES = {"1", "true", "yes", "y", "是", "匿名"}
_NO = {"", "0", "false", "no", "n", "否"}


def handed_in(raw: str, *, today: date | None) -> date | None:
    """The day a slip was handed in (2026-11-20, 2026/11/20, 2026年11月20日, a spreadsheet's date and time), or
    ``Refused``: not a date, or a day still to come."""
    if not raw.strip():
        return None
    found = _DATE.match(raw)
    try:
        day = date(int(found[1]), int(found[2]), int(found[3])) if found else None
    except ValueError:
        day = None
    if day is None:
        raise Refused("invalid_date", "the date must be a day such as 2026-11-20", "received_on")
    if today is not None and day > today:
        raise Refused("out_of_range", "the date a slip was handed in cannot be in the future", "received_on")
    return day


def draft_of(row: SlipRow, *, today: date | None = None) -> ReportDraft:
    """The report a slip row stands for, or ``Refused`` naming the column at fault."""
    v = row.values
    for column, value in v.items():
        if _CONTROL.search(value):  # a NUL no database takes: the row is refused, the import goes on
            raise Refused("invalid_character", "control characters (such as NUL) are not accepted", column)
    kind = slip_kind(v.get("kind", "")) if v.get("kind") else "suggestion_box"
    if kind is None:
        raise Refused("unknown_kind", "the kind must be a suggestion box, e-mail, questionnaire, one-to-one talk, "
                      "opinion book, visit log or liaison log", "kind")
    handed_in_on = handed_in(v.get("received_on", ""), today=today)
    lat = lon = None
    if v.get("lat") or v.get("lon"):
        try:
            lat, lon = float(v.get("lat", "")), float(v.get("lon", ""))
        except ValueError:
            raise Refused("invalid_field", "lat and lon must both be numbers", "lat") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Refused("out_of_range", "lat or lon is out of range", "lat")
    anonymous_raw = v.get("anonymous", "").strip().lower()
    if anonymous_raw not in _YES | _NO:
        raise Refused("invalid_field", "anonymous must be yes or no", "anonymous")
    phone = None
    if v.get("phone"):
        phone = national_phone(v["phone"])
        if phone is None:
            raise Refused("invalid_phone", "the phone is neither a mainland mobile nor a landline with its area code",
                          "phone")
    anonymous = anonymous_raw in _YES or phone is None
    if len(v.get("name", "")) > 50:
        raise Refused("too_long", "the name may be at most 50 characters", "name")
    return ReportDraft(channel=Channel.BATCH_IMPORT, description=v.get("description", ""),
                       category_code=v.get("category") or None, lat=lat, lon=lon, address=v.get("address") or None,
                       name=None if anonymous else (v.get("name") or None), phone=None if anonymous else phone,
                       anonymous=anonymous, external_ref=row.key, channel_detail=kind, source_kind=kind,
                       handed_in_on=handed_in_on)
