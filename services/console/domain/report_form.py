"""A resident's report as the report page takes it: the answers checked field by field and turned into intake's body
(intake checks them again and has the last word)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from services.console.domain.actions import Field
from shared.photos import MAX_PHOTOS_PER_REPORT

#: Mobiles (11 digits) and landlines (an area code and 7-8 digits, or the 7-8 digits alone), as residents type them.
_PHONE = re.compile(r"^\+?[\d\s-]{7,20}$")
_CODE = re.compile(r"^[A-Za-z0-9 -]{6,32}$")
MAX_DESCRIPTION = 4000

#: The report form's fields, in the order a resident fills them (the map and its point are the page's own).
REPORT_FIELDS = {f.name: f for f in (
    Field("description", "textarea", "遇到了什么问题", "What is the problem"),
    Field("category", "ref", "问题类别（可不选，系统会根据描述推荐）", "Sub-item (optional: suggested from what you write)",
          required=False),
    Field("address", "text", "地址（小区名称或道路门牌号，也可在地图上点选）", "Address (a compound, or a road and "
          "number; or tap the map)", required=False),
    Field("photos", "photos", f"照片（最多{MAX_PHOTOS_PER_REPORT}张）", f"Photos (up to {MAX_PHOTOS_PER_REPORT})",
          required=False),
    Field("name", "text", "称呼（可选）", "Your name (optional)", required=False),
    Field("phone", "tel", "联系电话（手机或座机，用于回复和查询）", "Phone (mobile or landline: for answers and "
          "follow-up)", required=False),
    Field("anonymous", "check", "匿名反映（不留联系方式，只凭查询码查询）", "Report anonymously (no contact: follow it by "
          "the tracking code only)", required=False),
)}


@dataclass(frozen=True)
class ReportAnswers:
    """What the form sent, as text (a form knows no other type); kept as typed to fill the form again."""

    description: str = ""
    category: str = ""
    address: str = ""
    lat: str = ""
    lon: str = ""
    name: str = ""
    phone: str = ""
    anonymous: bool = False
    co_report_of: str = ""
    photo_ids: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, form: Mapping[str, str], photo_ids: tuple[str, ...] = ()) -> ReportAnswers:
        def text(name: str) -> str:
            return str(form.get(name) or "").replace("\x00", "").strip()

        return cls(description=text("description"), category=text("category"), address=text("address"),
                   lat=text("lat"), lon=text("lon"), name=text("name"), phone=text("phone"),
                   anonymous=text("anonymous") in ("1", "on", "yes"), co_report_of=text("co_report_of"),
                   photo_ids=photo_ids)

    def point(self) -> tuple[float, float] | None:
        """The point tapped on the map, if both halves are numbers of the earth."""
        try:
            lat, lon = float(self.lat), float(self.lon)
        except ValueError:
            return None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        return lat, lon


def wrong_answers(a: ReportAnswers) -> dict[str, str]:
    """The fields answered wrongly, each with the stable code of what is wrong (the page words it)."""
    wrong: dict[str, str] = {}
    if not a.co_report_of and not a.description:
        wrong["description"] = "missing_field"
    elif len(a.description) > MAX_DESCRIPTION:
        wrong["description"] = "too_long"
    if a.co_report_of and not _CODE.fullmatch(a.co_report_of):
        wrong["co_report_of"] = "invalid_field"
    if (a.lat or a.lon) and a.point() is None:
        wrong["address"] = "invalid_field"
    elif not a.co_report_of and a.point() is None and not a.address:
        wrong["address"] = "missing_location"
    if not a.anonymous:
        if not a.phone:
            wrong["phone"] = "missing_field"
        elif not _PHONE.fullmatch(a.phone):
            wrong["phone"] = "invalid_field"
    if len(a.name) > 50:
        wrong["name"] = "too_long"
    if len(a.photo_ids) > MAX_PHOTOS_PER_REPORT:
        wrong["photos"] = "too_many_photos"
    return wrong


def intake_body(a: ReportAnswers) -> dict:
    """The body of intake's ``POST /v1/reports`` (the answers already checked)."""
    point = a.point()
    body: dict = {"anonymous": a.anonymous, "photos": [str(UUID(p)) for p in a.photo_ids]}
    if a.description:
        body["description"] = a.description
    if a.category:
        body["category"] = a.category
    if point is not None:
        body["location"] = {"lat": point[0], "lon": point[1]}
    if a.address:
        body["address"] = a.address
    if not a.anonymous:
        body["contact"] = {"phone": re.sub(r"[\s-]", "", a.phone), **({"name": a.name} if a.name else {})}
    if a.co_report_of:
        body["co_report_of"] = a.co_report_of
    return body


#: What the operator takes down beyond a resident's form: how urgent it is (the caller on the line cannot send photos).
CALL_FIELDS = {**{name: f for name, f in REPORT_FIELDS.items() if name != "photos"},
               "phone": Field("phone", "tel", "联系电话（回复用，一般即来电号码）", "Phone to answer on (usually the "
                              "calling number)", required=False),
               "name": Field("name", "text", "来电人称呼（可选）", "Caller's name (optional)", required=False),
               "anonymous": Field("anonymous", "check", "来电人要求匿名", "The caller asks to stay anonymous",
                                  required=False),
               "address": Field("address", "text", "地址（小区名称或道路门牌号）", "Address (a compound, or a road and "
                                "number)", required=False),
               "urgent": Field("urgent", "check", "紧急（危及安全、影响大）", "Urgent (safety at risk, many affected)",
                               required=False)}


def hotline_body(a: ReportAnswers, *, call_id: str, urgent: bool) -> dict:
    """The body of intake's ``POST /v1/hotline/reports`` (the answers already checked)."""
    body = {key: value for key, value in intake_body(a).items() if key not in ("contact", "photos")}
    body.update(call_id=call_id, urgent=urgent)
    if not a.anonymous:
        body["caller"] = intake_body(a)["contact"]
    return body
