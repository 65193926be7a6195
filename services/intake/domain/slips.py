"""Reads batch-import files (suggestion-box slips, questionnaires, visit logs) from CSV or XLSX into plain rows."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

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


class UnreadableFile(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class SlipRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]

    @property
    def key(self) -> str:
        """The same slip imported again has the same key, wherever it sits in the file."""
        canonical = json.dumps({k: v for k, v in sorted(self.values.items()) if v}, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _column_of(header: str) -> str | None:
    label = header.strip().lower()
    for name, aliases in COLUMNS.items():
        if label in aliases:
            return name
    return None


def slip_kind(raw: str) -> str | None:
    label = raw.strip().lower()
    for kind, aliases in SLIP_KINDS.items():
        if label in aliases:
            return kind
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(table: Iterator[list], max_rows: int) -> Iterator[SlipRow]:
    try:
        header = next(table)
    except StopIteration:
        raise UnreadableFile("empty_file", "the file has no header row") from None
    columns = [_column_of(_text(h)) for h in header]
    if "description" not in columns:
        raise UnreadableFile("missing_column", "the file needs a description column (description / 内容)")
    for number, raw in enumerate(table, start=2):
        if number - 1 > max_rows:
            raise UnreadableFile("too_many_rows", f"a file may hold at most {max_rows} rows")
        values = {col: _text(v) for col, v in zip(columns, raw, strict=False) if col}
        if any(values.values()):
            yield SlipRow(number, values)


def read_slips(content: bytes, filename: str, *, max_rows: int) -> list[SlipRow]:
    """Every non-empty row of the file, or ``UnreadableFile`` if the file as a whole cannot be read."""
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        return list(_rows(_xlsx_table(content), max_rows))
    if name.endswith(".csv") or name.endswith(".txt"):
        return list(_rows(_csv_table(content), max_rows))
    raise UnreadableFile("unsupported_file_type", "import files must be CSV or XLSX")


def _csv_table(content: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 unless told otherwise
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("unreadable_file", "the CSV is neither UTF-8 nor GB18030")
    try:
        return iter(list(csv.reader(io.StringIO(text, newline=""))))
    except csv.Error:
        raise UnreadableFile("unreadable_file", "the CSV could not be parsed") from None


def _xlsx_table(content: bytes) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("unreadable_file", "the XLSX could not be opened") from None
    sheet = workbook.worksheets[0]
    return (list(row) for row in sheet.iter_rows(values_only=True))
