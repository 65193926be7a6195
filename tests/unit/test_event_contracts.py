"""Event contracts: one registry, versioned types, and the CloudEvents binary envelope."""

import json
import re
from uuid import uuid4

import pytest
from pydantic import ValidationError

from shared.events import REGISTRY, TOPICS, CaseReported, Event
from shared.messaging.envelope import Envelope, SchemaViolation, UndecodableRecord
from tests.samples import case_reported

TYPE_PATTERN = re.compile(r"^org\.gridlink\.[a-z_]+(\.[a-z_]+)*\.v\d+$")


def test_every_event_has_a_versioned_reverse_dns_type_a_known_topic_and_the_case_or_its_entry_as_key():
    assert REGISTRY, "the registry is empty"
    for event_type, cls in REGISTRY.items():
        assert TYPE_PATTERN.match(event_type), event_type
        assert cls.type == event_type
        assert cls.topic in TOPICS
        if cls.topic.name.endswith(".reference"):
            # Reference data is ordered per entry: a unit, a sub-item, an area.
            assert event_type.startswith("org.gridlink.reference.") and cls.key_field in cls.model_fields
        else:
            assert cls.key_field == "case_id" and "case_id" in cls.model_fields


def test_declaring_an_event_type_twice_is_refused():
    with pytest.raises(TypeError, match="declared twice"):
        class Again(Event, type=CaseReported.type, topic=CaseReported.topic):  # noqa: F841
            case_id: str


def test_the_envelope_carries_the_cloudevents_attributes_as_headers_and_the_data_as_json():
    event = case_reported()
    envelope = Envelope.wrap(event, source="/gridlink/intake", correlation_id="corr-1", causation_id="cause-1")
    headers = dict(envelope.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"org.gridlink.case.reported.v1"
    assert headers["ce_source"] == b"/gridlink/intake"
    assert headers["ce_subject"] == headers["ce_partitionkey"] == str(event.case_id).encode()
    assert headers["ce_correlationid"] == b"corr-1" and headers["ce_causationid"] == b"cause-1"
    assert headers["content-type"] == b"application/json"
    assert {"ce_id", "ce_time"} <= set(headers)
    assert json.loads(envelope.value())["tracking_code"] == event.tracking_code
    assert envelope.key == str(event.case_id)


def test_a_record_decodes_back_into_the_same_event():
    event = case_reported()
    envelope = Envelope.wrap(event, source="/gridlink/intake")
    decoded = Envelope.from_record(key=envelope.key.encode(), value=envelope.value(), headers=envelope.headers())
    assert decoded.id == envelope.id and decoded.correlation_id == envelope.id
    assert decoded.event() == event


def test_the_first_event_of_a_flow_starts_its_correlation():
    envelope = Envelope.wrap(case_reported(), source="/x")
    assert envelope.correlation_id == envelope.id and envelope.causation_id is None


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda h, v: ([x for x in h if x[0] != "ce_type"], v), "missing CloudEvents headers: ce_type"),
    (lambda h, v: ([(k, b"0.3" if k == "ce_specversion" else x) for k, x in h], v), "unsupported specversion"),
    (lambda h, v: ([(k, b"text/xml" if k == "content-type" else x) for k, x in h], v), "content-type"),
    (lambda h, v: ([(k, b"yesterday" if k == "ce_time" else x) for k, x in h], v), "ce_time"),
    (lambda h, v: (h, b"{not json"), "value is not JSON"),
    (lambda h, v: (h, b"[1, 2]"), "not a JSON object"),
    (lambda h, v: (h + [("ce_extra", b"\xff\xfe")], v), "not UTF-8"),
])
def test_a_record_that_is_not_a_readable_cloudevent_is_refused_with_a_reason(mutate, reason):
    envelope = Envelope.wrap(case_reported(), source="/x")
    headers, value = mutate(envelope.headers(), envelope.value())
    with pytest.raises(UndecodableRecord, match=reason):
        Envelope.from_record(key=b"k", value=value, headers=headers)


def test_a_schema_violation_names_the_fields_but_never_their_values():
    envelope = Envelope.wrap(case_reported(), source="/x")
    data = json.loads(envelope.value())
    data["case_id"] = "13812345678"
    decoded = Envelope.from_record(key=b"k", value=json.dumps(data).encode(), headers=envelope.headers())
    with pytest.raises(SchemaViolation) as caught:
        decoded.event()
    assert "case_id" in str(caught.value) and "13812345678" not in str(caught.value)


def test_consumers_ignore_unknown_fields_and_skip_unknown_types():
    envelope = Envelope.wrap(case_reported(), source="/x")
    data = json.loads(envelope.value()) | {"added_in_a_later_version": True}
    decoded = Envelope.from_record(key=b"k", value=json.dumps(data).encode(), headers=envelope.headers())
    assert isinstance(decoded.event(), CaseReported)
    unknown = [(k, b"org.gridlink.case.invented.v9" if k == "ce_type" else v) for k, v in envelope.headers()]
    assert Envelope.from_record(key=b"k", value=envelope.value(), headers=unknown).event() is None


def test_events_are_immutable():
    event = case_reported(uuid4())
    with pytest.raises(ValidationError):
        event.tracking_code = "CHANGED1"
