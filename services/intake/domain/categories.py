"""The category tree: sub-items with their Open311 service codes and attributes, and checking a report's attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
TIME_LIMIT_CLASSES = ("urgent", "consultation", "help", "complaint", "complex")
PRIORITIES = ("low", "normal", "high", "urgent")


class UnknownCategory(Exception):
    pass


class InvalidAttribute(Exception):
    def __init__(self, code: str, message: str, field: str):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Attribute:
    """An Open311 service attribute: a question asked with reports of one sub-item."""

    code: str
    datatype: str
    required: bool = False
    order: int = 1
    description: str = ""
    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_data(cls, data: Mapping) -> Attribute:
        return cls(code=data["code"], datatype=data["datatype"], required=bool(data.get("required", False)),
                   order=int(data.get("order", 1)), description=data.get("description", ""),
                   values=tuple((str(v["key"]), v["name"]) for v in data.get("values", [])))

    def as_data(self) -> dict:
        return {"code": self.code, "datatype": self.datatype, "required": self.required, "order": self.order,
                "description": self.description, "values": [{"key": k, "name": n} for k, n in self.values]}


@dataclass(frozen=True)
class Category:
    code: str
    class_code: str
    version: int
    name_zh: str
    name_en: str
    time_limit_class: str
    priority: str
    handle_locally: bool
    service_code: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = field(default=())


def check_attributes(attributes: Sequence[Attribute], given: Mapping[str, str | list[str]]) -> dict:
    """The given answers, checked against the sub-item's attributes (Open311 datatypes); unknown ones refused."""
    known = {a.code: a for a in attributes}
    for code in given:
        if code not in known:
            raise InvalidAttribute("unknown_attribute", "this sub-item has no such attribute", f"attribute[{code}]")
    out: dict = {}
    for attribute in attributes:
        name = f"attribute[{attribute.code}]"
        value = given.get(attribute.code)
        if value in (None, "", []):
            if attribute.required:
                raise InvalidAttribute("missing_attribute", "this attribute is required", name)
            continue
        keys = {k for k, _ in attribute.values}
        if attribute.datatype == "multivaluelist":
            values = value if isinstance(value, list) else [value]
            if any(v not in keys for v in values):
                raise InvalidAttribute("invalid_attribute", "a value is not one of the listed keys", name)
            out[attribute.code] = list(dict.fromkeys(values))
            continue
        if isinstance(value, list):
            if len(value) != 1:
                raise InvalidAttribute("invalid_attribute", "this attribute takes one value", name)
            value = value[0]
        if attribute.datatype == "singlevaluelist" and value not in keys:
            raise InvalidAttribute("invalid_attribute", "the value is not one of the listed keys", name)
        if attribute.datatype == "number":
            try:
                float(value)
            except ValueError:
                raise InvalidAttribute("invalid_attribute", "the value must be a number", name) from None
        if attribute.datatype == "datetime":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise InvalidAttribute("invalid_attribute", "the value must be an ISO 8601 date-time", name) from None
        limit = 4000 if attribute.datatype == "text" else 200
        if len(value) > limit:
            raise InvalidAttribute("too_long", f"the value may be at most {limit} characters", name)
        out[attribute.code] = value
    return out
