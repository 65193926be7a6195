"""The README's event catalogue lists every declared event with its topic, producer and the services that consume
it, as the handler tables say."""

from pathlib import Path

from services.dispatch.service import SPEC as DISPATCH
from services.intake.service import SPEC as INTAKE
from services.notification.service import SPEC as NOTIFICATION
from services.supervision.service import SPEC as SUPERVISION
from shared.events import REGISTRY

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_catalogue_names_every_event_its_producer_and_its_consumers():
    rows = {line.split("|")[1].strip(" `"): [cell.strip(" `") for cell in line.split("|")[2:5]]
            for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `org.gridlink.")}
    for event_type, cls in REGISTRY.items():
        consumers = [s.name for s in (INTAKE, DISPATCH, SUPERVISION, NOTIFICATION) if cls in s.handlers]
        assert rows.get(event_type) == [cls.topic.name, cls.topic.owner, ", ".join(consumers) or "—"], \
            event_type
    assert set(rows) == set(REGISTRY)
