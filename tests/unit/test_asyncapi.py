"""docs/asyncapi.yaml is generated from the registry and must not go stale."""

from pathlib import Path

import yaml

from shared.events import REGISTRY, TOPICS
from shared.events.asyncapi import build_asyncapi, render_asyncapi

DOC = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


def test_the_committed_asyncapi_document_matches_the_event_registry():
    assert DOC.read_text(encoding="utf-8") == render_asyncapi(), "docs/asyncapi.yaml is stale: run `make asyncapi`"


def test_the_document_is_asyncapi_3_and_names_every_event_topic_and_dead_letter_topic():
    doc = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    for topic in TOPICS:
        assert topic.name in doc["channels"] and topic.dead_letter in doc["channels"]
    messages = doc["components"]["messages"]
    for event_type, cls in REGISTRY.items():
        message = messages[cls.__name__]
        assert message["headers"]["properties"]["ce_type"]["const"] == event_type
        assert cls.__name__ in doc["channels"][cls.topic.name]["messages"]
        assert f"publish{cls.__name__}" in doc["operations"]


def test_every_payload_schema_resolves_inside_the_document():
    doc = build_asyncapi()
    text = yaml.safe_dump(doc)
    for ref in {line.split("$ref: ")[1].strip("'\" ") for line in text.splitlines() if "$ref: " in line}:
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref
