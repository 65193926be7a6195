"""The weekly bulletin (作风效能建设周通报) as a document: what it says, and the same content set as HTML and as PDF.
The PDF embeds its Chinese font (WenQuanYi Micro Hei, which ``make install`` puts under ``.tools/fonts``, the image
installs from Debian, or ``GRIDLINK_FONT_FILE`` names), so it reads the same on any viewer; without the file it falls
back to reportlab's CID font, whose glyphs the viewer must supply."""

from __future__ import annotations

import io
import os
import re
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

import structlog
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.reference.labels import label

log = structlog.get_logger(__name__)
_FONT_FILES = (os.environ.get("GRIDLINK_FONT_FILE", ""),
               str(Path(__file__).parents[3] / ".tools" / "fonts" / "wqy-microhei.ttc"),
               "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _register_font() -> tuple[str, bool]:
    """The font the PDF is set in, and whether it is embedded."""
    for path in _FONT_FILES:
        if path and Path(path).is_file():
            pdfmetrics.registerFont(TTFont("GridlinkSans", path, subfontIndex=0))
            return "GridlinkSans", True
    log.warning("no Chinese font file: bulletin PDFs rely on the viewer's CID font", looked_in=_FONT_FILES)
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False


FONT, FONT_EMBEDDED = _register_font()


@dataclass(frozen=True)
class LateCase:
    number: str
    category: str
    street: str
    unit: str
    kind: str
    due: str
    hours_late: float
    still_open: bool


@dataclass(frozen=True)
class LateUnit:
    unit: str
    breaches: int
    sign_for: int
    completion: int
    to_district: int


@dataclass(frozen=True)
class BulletinContent:
    district: str
    week: str
    #: The district's name (its id until a name is known).
    district_name: str
    start: str
    end: str
    received: int
    completed: int
    breaches: int
    late_units: list[LateUnit] = field(default_factory=list)
    late_cases: list[LateCase] = field(default_factory=list)
    black_list: list[tuple[str, float]] = field(default_factory=list)
    red_list: list[tuple[str, float]] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)

    @property
    def title(self) -> str:
        return f"{self.district_name}作风效能建设周通报（{week_in_words(self.week)}）"


def week_in_words(week: str) -> str:
    """``2026-W48`` as a person says it: 2026年第48周."""
    found = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    return f"{found[1]}年第{int(found[2])}周" if found else week


def _tables(c: BulletinContent) -> list[tuple[str, list[str], list[list[str]]]]:
    return [
        ("一、超时单位 Late units", ["单位", "超时次数", "签收超时", "办结超时", "升级至区"],
         [[u.unit, str(u.breaches), str(u.sign_for), str(u.completion), str(u.to_district)] for u in c.late_units]),
        ("二、超时案件 Late cases", ["编号", "类别", "街道", "承办单位", "环节", "期限", "超时(小时)", "仍未办结"],
         [[x.number, x.category, x.street, x.unit, label("kind", x.kind), x.due, f"{x.hours_late:.1f}",
           "是" if x.still_open else "否"] for x in c.late_cases]),
        ("三、黑榜 Black list", ["单位", "综合得分"], [[u, f"{s:.0%}"] for u, s in c.black_list]),
        ("四、红榜 Red list", ["单位", "综合得分"], [[u, f"{s:.0%}"] for u, s in c.red_list]),
    ]


def _summary(c: BulletinContent) -> str:
    return (f"{c.start} 至 {c.end}：受理 {c.received} 件，办结 {c.completed} 件，期限超时 {c.breaches} 次，"
            f"涉及 {len(c.late_units)} 个单位。")


def render_html(c: BulletinContent) -> str:
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{escape(c.title)}</title>"
             "<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse;margin:.5rem 0 1.2rem}"
             "td,th{border:1px solid #bbb;padding:.25rem .5rem}th{background:#eee}</style></head><body>",
             f"<h1>{escape(c.title)}</h1><p>{escape(_summary(c))}</p>"]
    for heading, head, rows in _tables(c):
        parts.append(f"<h2>{escape(heading)}</h2>")
        if not rows:
            parts.append("<p>无</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(c: BulletinContent) -> bytes:
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10)
    story = [Paragraph(escape(c.title), title), Paragraph(escape(_summary(c)), body)]
    for name, head, rows in _tables(c):
        story.append(Paragraph(escape(name), heading))
        if not rows:
            story.append(Paragraph("无", body))
            continue
        data = [[Paragraph(escape(v), cell) for v in row] for row in [head, *rows]]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [table, Spacer(1, 4 * mm)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=c.title, leftMargin=15 * mm, rightMargin=15 * mm,
                      topMargin=15 * mm, bottomMargin=15 * mm).build(story)
    return out.getvalue()
