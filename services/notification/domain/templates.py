"""Who is told what, as data (``catalogue.yaml``), and the Jinja2 templates that say it: sandboxed, strict about
undefined names, checked against the event's fields when an admin saves one, so that an error shows at saving and
not when a resident should have been told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin
from uuid import UUID, uuid4

import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, pass_context
from jinja2.sandbox import SandboxedEnvironment
from pydantic import AwareDatetime, BaseModel, FutureDatetime, NaiveDatetime, PastDatetime

from shared.events import REGISTRY
from shared.reference.labels import label, local_time
from shared.reference.names import Names

LOCALES = ("zh", "en")
AUDIENCES = ("resident", "unit", "supervisor", "leader", "unit_leader", "dispatcher")
CHANNELS = ("sms", "email", "inbox")
# Names a resident's template may use beyond the event's own fields.
RESIDENT_EXTRAS = frozenset({"tracking_code", "track_url"})
_NO_NAMES = Names()


def _reader(context) -> tuple[Names, str]:
    """The names the service keeps and the reader's language, passed to every rendering (none when checking)."""
    return context.get("_names") or _NO_NAMES, context.get("_locale") or "zh"


def _named(lookup):
    @pass_context
    def name(context, value):
        names, locale = _reader(context)
        return lookup(names, value, locale)
    return name


ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
ENVIRONMENT.filters.update(
    local_date=lambda v: local_time(v, "%Y-%m-%d"), local_time=local_time,
    percent=lambda v: f"{float(v):.0%}",
    # What a person reads is a name: ``{{ unit_id | unit }}``, ``{{ category_code | category }}``, ``{{ area | place }}``.
    unit=_named(lambda names, v, locale: names.unit(v, locale)),
    units=_named(lambda names, v, locale: names.units(v or (), locale)),
    category=_named(lambda names, v, locale: names.category(v, locale)),
    area=_named(lambda names, v, locale: names.area(v, locale)),
    place=_named(lambda names, v, locale: names.place(v, locale)),
    kind=_named(lambda names, v, locale: label("kind", v, locale)),
    level=_named(lambda names, v, locale: label("level", v, locale)),
)


@dataclass(frozen=True)
class Rule:
    event_type: str
    audience: str
    channel: str
    template: str
    texts: dict[str, str]        # locale -> default template source
    when: str | None = None      # a condition on the event (see ``applies``)
    #: For a unit or a unit's leader: the event's field naming the units told (each is told), else ``unit_id``.
    to: str | None = None

    def applies(self, data: dict) -> bool:
        match self.when:
            case None:
                return True
            case "approved":
                return bool(data.get("approved"))
            case "leaders":
                return data.get("level") in ("street_leader", "district")
            case "not_answered_in_channel":
                return data.get("channel") != "messaging_group"
            case "scheduled":
                return data.get("scheduled_for") is not None
            case level:
                return data.get("level") == level


@cache
def catalogue() -> dict[str, tuple[Rule, ...]]:
    raw = yaml.safe_load((Path(__file__).parents[1] / "catalogue.yaml").read_text(encoding="utf-8"))
    rules: dict[str, tuple[Rule, ...]] = {}
    for event_type, entries in raw["rules"].items():
        full = f"org.gridlink.{event_type}.v1"
        rules[full] = tuple(Rule(full, e["audience"], e["channel"], e["template"],
                                 {locale: e[locale] for locale in LOCALES}, e.get("when"), e.get("to"))
                            for e in entries)
    return rules


class TemplateProblem(ValueError):
    """A template that would fail when used: bad syntax, or a name the event does not have."""


def allowed_names(event_type: str, audience: str) -> frozenset[str]:
    cls = REGISTRY[event_type]
    names = frozenset(cls.model_fields)
    return names | RESIDENT_EXTRAS if audience == "resident" else names


def check(source: str, *, event_type: str, audience: str) -> None:
    """Raise ``TemplateProblem`` for a template that cannot render this event for this audience."""
    try:
        parsed = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"syntax error on line {exc.lineno}: {exc.message}") from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - allowed_names(event_type, audience))
    if unknown:
        raise TemplateProblem(f"unknown name(s) for {event_type}: {', '.join(unknown)}")
    # Known names can still fail on their values (a date filter on a field left empty, arithmetic on a text): render
    # it against a sample event with every field given and one with every optional field left out.
    for sparse in (False, True):
        values = sample_event(event_type, sparse=sparse)
        if audience == "resident":
            values |= {"tracking_code": "CN2026120100001", "track_url": "https://example.invalid/t/CN2026120100001"}
        which = "with optional fields left out" if sparse else "with every field given"
        try:
            text = ENVIRONMENT.from_string(source).render(**values)
        except Exception as exc:  # whatever rendering raises, the save is refused rather than a message lost later
            raise TemplateProblem(f"fails to render a sample {event_type} {which}: {type(exc).__name__}: "
                                  f"{str(exc)[:200]}") from None
        if "None" in text:
            raise TemplateProblem(f"shows 'None' for an empty field of a sample {event_type} {which}: guard it with "
                                  "{% if … %}")


def sample_event(event_type: str, *, sparse: bool) -> dict:
    """An event's data as a template sees it (JSON values), made up from its declaration."""
    return {name: _sample(field.annotation, sparse) for name, field in REGISTRY[event_type].model_fields.items()}


_DATETIMES = (AwareDatetime, NaiveDatetime, FutureDatetime, PastDatetime)


def _sample(annotation, sparse: bool):
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _sample(args[0], sparse)
    if origin in (Union, UnionType):
        given = [a for a in args if a is not type(None)]
        return None if sparse and len(given) < len(args) else _sample(given[0], sparse)
    if origin is Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset, Sequence):
        return [] if sparse or not args else [_sample(args[0], sparse)]
    if origin is dict:
        return {}
    if annotation in _DATETIMES:
        return datetime.now(UTC).isoformat()
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, BaseModel):
            return {name: _sample(f.annotation, sparse) for name, f in annotation.model_fields.items()}
        for kind, value in ((bool, True), (int, 3), (float, 0.8), (datetime, datetime.now(UTC).isoformat()),
                            (date, datetime.now(UTC).date().isoformat()), (UUID, str(uuid4()))):
            if issubclass(annotation, kind):
                return value
    return "示例"


@cache
def _compiled(source: str):
    return ENVIRONMENT.from_string(source)


def render(source: str, values: dict, *, names: Names | None = None, locale: str = "zh") -> str:
    """The text in ``locale``, naming units, sub-items and places from ``names`` (a code none names stays a code)."""
    return _compiled(source).render(**values, _names=names, _locale=locale).strip()


#: The event types the catalogue tells anyone of (each must be declared in the registry).
REGISTERED_TYPES = tuple(catalogue())
#: The channels a rule may name for each audience (a resident's SMS may go to their messaging group instead).
CHANNELS = {"resident": {"sms"}, "unit": {"inbox", "email"}, "supervisor": {"inbox", "email"},
            "leader": {"inbox", "email"}, "unit_leader": {"inbox", "email"}, "dispatcher": {"inbox", "email"}}
_unknown = [t for t in REGISTERED_TYPES if t not in REGISTRY]
if _unknown:
    raise RuntimeError(f"catalogue.yaml names undeclared events: {', '.join(_unknown)}")
_misrouted = [f"{r.event_type} {r.audience} {r.channel}" for rules in catalogue().values() for r in rules
              if r.channel not in CHANNELS.get(r.audience, ())]
if _misrouted:
    raise RuntimeError(f"catalogue.yaml names a channel its audience has not: {', '.join(_misrouted)}")


def source_of(rule: Rule, overrides: dict, locale: str) -> str:
    """The template a rule speaks with in ``locale``: an admin's override, else the catalogue's own."""
    return overrides.get((rule.event_type, rule.audience, rule.template, locale)) or rule.texts[locale]
