"""Who is told what, as data (``catalogue.yaml``), and the Jinja2 templates that say it: sandboxed, strict about
undefined names, checked against the event's fields when an admin saves one, so that an error shows at saving and
not when a resident should have been told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from shared.events import REGISTRY
from shared.local_time import LOCAL_ZONE

LOCALES = ("zh", "en")
AUDIENCES = ("resident", "unit", "supervisor", "leader")
CHANNELS = ("sms", "email", "inbox")
# Names a resident's template may use beyond the event's own fields.
RESIDENT_EXTRAS = frozenset({"tracking_code", "track_url"})
_KIND_ZH = {"sign_for": "签收", "completion": "办结", "planned": "计划办结", "reply": "督办回复", "verdict": "评价"}


def _local(value, fmt: str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_ZONE).strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
ENVIRONMENT.filters.update(local_date=lambda v: _local(v, "%Y-%m-%d"), local_time=lambda v: _local(v, "%Y-%m-%d %H:%M"),
                           percent=lambda v: f"{float(v):.0%}", kind_zh=lambda v: _KIND_ZH.get(str(v), str(v)))


@dataclass(frozen=True)
class Rule:
    event_type: str
    audience: str
    channel: str
    template: str
    texts: dict[str, str]        # locale -> default template source
    when: str | None = None      # a condition on the event (see ``applies``)

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
            case level:
                return data.get("level") == level


@cache
def catalogue() -> dict[str, tuple[Rule, ...]]:
    raw = yaml.safe_load((Path(__file__).parents[1] / "catalogue.yaml").read_text(encoding="utf-8"))
    rules: dict[str, tuple[Rule, ...]] = {}
    for event_type, entries in raw["rules"].items():
        full = f"org.gridlink.{event_type}.v1"
        rules[full] = tuple(Rule(full, e["audience"], e["channel"], e["template"],
                                 {locale: e[locale] for locale in LOCALES}, e.get("when")) for e in entries)
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


@cache
def _compiled(source: str):
    return ENVIRONMENT.from_string(source)


def render(source: str, values: dict) -> str:
    return _compiled(source).render(**values).strip()


#: The event types the catalogue tells anyone of (each must be declared in the registry).
REGISTERED_TYPES = tuple(catalogue())
#: The channels a rule may name for each audience (a resident's SMS may go to their messaging group instead).
CHANNELS = {"resident": {"sms"}, "unit": {"inbox", "email"}, "supervisor": {"inbox", "email"},
            "leader": {"inbox", "email"}}
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
