"""Reads the CSV and XLSX files people keep (slips, unit lists) into plain rows, headers in Chinese or English mapped to
one name each; a file that cannot be read as a whole is ``UnreadableFile``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime


class UnreadableFile(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class SheetRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]

    @property
    def key(self) -> str:
        """The same row imported again has the same key, wherever it sits in the file."""
        canonical = json.dumps({k: v for k, v in sorted(self.values.items()) if v}, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def read_sheet(content: bytes, filename: str, *, columns: Mapping[str, Sequence[str]], required: Sequence[str],
               max_rows: int) -> list[SheetRow]:
    """Every non-empty row of the file's first sheet, by the column names ``columns`` maps headers to."""
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        table = _xlsx_table(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _csv_table(content)
    else:
        raise UnreadableFile("unsupported_file_type", "import files must be CSV or XLSX")
    return list(_rows(table, columns, required, max_rows))


def _column_of(header: str, columns: Mapping[str, Sequence[str]]) -> str | None:
    label = header.strip().lower()
    for name, aliases in columns.items():
        if label in aliases:
            return name
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


def _rows(table: Iterator[list], columns: Mapping[str, Sequence[str]], required: Sequence[str],
          max_rows: int) -> Iterator[SheetRow]:
    try:
        header = next(table)
    except StopIteration:
        raise UnreadableFile("empty_file", "the file has no header row") from None
    names = [_column_of(_text(h), columns) for h in header]
    for column in required:
        if column not in names:
            raise UnreadableFile("missing_column", f"the file needs a {column} column "
                                 f"({' / '.join(columns[column][:2])})")
    for number, raw in enumerate(table, start=2):
        if number - 1 > max_rows:
            raise UnreadableFile("too_many_rows", f"a file may hold at most {max_rows} rows")
        values = {col: _text(v) for col, v in zip(names, raw, strict=False) if col}
        if any(values.values()):
            yield SheetRow(number, values)


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
