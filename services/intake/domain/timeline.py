"""The resident's timeline in words, as data (``timeline.yaml``): each line's kind and its Chinese and English text,
filled from an event's values."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

WORDING_FILE = Path(__file__).parents[1] / "timeline.yaml"


@dataclass(frozen=True)
class Wording:
    kind: str
    zh: str
    en: str

    def fields(self) -> set[str]:
        return {name for text in (self.zh, self.en) for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class TimelineLine:
    kind: str
    text_zh: str
    text_en: str


@cache
def wordings() -> dict[str, Wording]:
    raw = yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8"))
    return {name: Wording(kind=entry["kind"], zh=entry["zh"], en=entry["en"]) for name, entry in raw.items()}


def line(name: str, **values) -> TimelineLine:
    """The timeline line ``name`` with ``values`` filled in (a value's own braces are kept as they are)."""
    wording = wordings()[name]
    return TimelineLine(wording.kind, wording.zh.format(**values), wording.en.format(**values))
