"""The base of every domain event, the topics they travel on, and the one registry built from their declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Topic:
    """A Kafka topic owned by one service; every record on it is keyed by the id that orders it (``key``)."""

    name: str
    owner: str
    description: str
    partitions: int = 3
    #: What the record key is: the case id, or the id of a reference entry (a unit, a sub-item, an area).
    key: str = "case id"

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlt"


INTAKE_CASES = Topic("gridlink.intake.cases", "intake", "Facts intake records about cases: reports, verdicts.")
DISPATCH_CASES = Topic("gridlink.dispatch.cases", "dispatch", "Facts dispatch records: who must act, and what they did.")
SUPERVISION_CASES = Topic("gridlink.supervision.cases", "supervision", "Facts supervision records: deadlines, warnings, escalations.")
PARTNER_CASES = Topic("gridlink.partner.cases", "notification",
                      "Thin, masked notices of case steps for partner systems (any Kafka client may read it): which "
                      "step, where, which sub-item, which unit; never a resident's name, number or words.")

INTAKE_REFERENCE = Topic("gridlink.intake.reference", "intake",
                         "The category tree and the area tree as intake keeps them: every sub-item and every area "
                         "(district, street, community, grid) with its names, each time one changes.",
                         key="the sub-item's code or the area's id")
DISPATCH_REFERENCE = Topic("gridlink.dispatch.reference", "dispatch",
                           "The unit directory as dispatch keeps it: every unit with its names, each time one changes.",
                           key="the unit's id")

TOPICS: tuple[Topic, ...] = (INTAKE_CASES, DISPATCH_CASES, SUPERVISION_CASES, PARTNER_CASES, INTAKE_REFERENCE,
                             DISPATCH_REFERENCE)

#: Every declared event, by its CloudEvents type. Filled by ``Event.__init_subclass__``.
REGISTRY: dict[str, type["Event"]] = {}


class Event(BaseModel):
    """A past-tense fact. Subclasses declare ``type``, ``topic`` and ``key`` as class keywords.

    Consumers ignore unknown fields (``extra="ignore"``) so that adding a field is not a breaking change;
    a breaking change is a new type with a new version suffix.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    topic: ClassVar[Topic]
    key_field: ClassVar[str]
    #: Partner systems are told of this step (a thin, masked notice on the partner topic and their webhooks).
    partner: ClassVar[bool] = False

    def __init_subclass__(cls, *, type: str | None = None, topic: Topic | None = None, key: str = "case_id",
                          partner: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if type is None or topic is None:
            return
        if type in REGISTRY:
            raise TypeError(f"event type {type} is declared twice ({REGISTRY[type].__name__}, {cls.__name__})")
        cls.type, cls.topic, cls.key_field, cls.partner = type, topic, key, partner
        REGISTRY[type] = cls

    @property
    def key(self) -> str:
        """The record key: the id that orders this event with its siblings (the case id)."""
        return str(getattr(self, self.key_field))

    @property
    def subject(self) -> str:
        return self.key


def event_type(name: str, version: int = 1) -> str:
    """The reverse-DNS, versioned CloudEvents type of a gridlink event, e.g. ``org.gridlink.case.reported.v1``."""
    return f"org.gridlink.{name}.v{version}"
