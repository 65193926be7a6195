"""Reads batch-import files (suggestion-box slips, questionnaires, visit logs) from CSV or XLSX into plain rows."""

from __future__ import annotations

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
SLIP_KINDS = {
    "suggestion_box": ("suggestion_box", "意见箱", "建议箱"),
    "questionnaire": ("questionnaire", "问卷", "调查问卷"),
    "visit_log": ("visit_log", "走访", "走访日志", "走访记录"),
    "liaison_log": ("liaison_log", "联系日志", "民情日志"),
    "opinion_book": ("opinion_book", "意见簿", "小区意见簿"),
}

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
