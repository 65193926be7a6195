"""The AsyncAPI 3 document, generated from the event registry (``gridlink asyncapi`` writes docs/asyncapi.yaml)."""

from __future__ import annotations

import inspect

import yaml

from shared.events.contract import REGISTRY, TOPICS

CE_HEADERS = {
    "ce_specversion": "CloudEvents version, always 1.0",
    "ce_id": "Event id, unique per event; consumers deduplicate on it",
    "ce_source": "Producing service, e.g. /gridlink/intake",
    "ce_type": "Versioned, reverse-DNS event type",
    "ce_time": "When the fact happened (ISO 8601 with zone)",
    "ce_subject": "The case id (a reference entry's id on the reference topics)",
    "ce_partitionkey": "The record key (the case id, or a reference entry's id)",
    "ce_correlationid": "Id of the first event of the flow this event belongs to",
    "ce_causationid": "Id of the event that caused this one (absent for the first)",
    "content-type": "Always application/json",
}
REQUIRED_HEADERS = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_correlationid",
                    "content-type"]


def _headers_schema(event_type: str) -> dict:
    properties = {name: {"type": "string", "description": text} for name, text in CE_HEADERS.items()}
    properties["ce_type"]["const"] = event_type
    properties["ce_specversion"]["const"] = "1.0"
    properties["content-type"]["const"] = "application/json"
    return {"type": "object", "properties": properties, "required": REQUIRED_HEADERS}


def build_asyncapi() -> dict:
    schemas: dict[str, dict] = {}
    messages: dict[str, dict] = {}
    channels: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    for topic in TOPICS:
        channels[topic.name] = {"address": topic.name, "title": topic.name,
                                "description": f"{topic.description} Owner: {topic.owner}. Key: {topic.key}. "
                                               f"Partitions: {topic.partitions}. Dead letters: {topic.dead_letter}.",
                                "messages": {}}
        channels[topic.dead_letter] = {
            "address": topic.dead_letter, "title": topic.dead_letter,
            "description": f"Records of {topic.name} a consumer could not apply, unchanged, with headers "
                           "dlt_original_topic, dlt_original_partition, dlt_original_offset, dlt_reason, dlt_error, "
                           "dlt_attempts and dlt_consumer.",
            "messages": {}}
    for event_type, cls in sorted(REGISTRY.items()):
        name = cls.__name__
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
        messages[name] = {
            "name": name, "title": name, "summary": inspect.getdoc(cls).splitlines()[0],
            "contentType": "application/json",
            "headers": _headers_schema(event_type),
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "bindings": {"kafka": {"key": {"type": "string", **({"format": "uuid"} if cls.key_field == "case_id" else {}),
                                           "description": cls.topic.key},
                                   "bindingVersion": "0.5.0"}},
            "x-cloudevents-type": event_type,
        }
        channels[cls.topic.name]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        operations[f"publish{name}"] = {
            "action": "send", "title": f"{cls.topic.owner} publishes {name}",
            "channel": {"$ref": f"#/channels/{cls.topic.name}"},
            "messages": [{"$ref": f"#/channels/{cls.topic.name}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "gridlink domain events", "version": "0.1.0",
                 "description": "Events the four gridlink services exchange through Kafka, as CloudEvents 1.0 in "
                                "binary mode. Generated from shared/events; do not edit by hand."},
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                      "description": "The embedded Tansu broker started by `gridlink up`"},
            "production": {"host": "kafka:9092", "protocol": "kafka",
                           "description": "Apache Kafka (KRaft) as in docker-compose.yml"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render_asyncapi() -> str:
    return yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=120)
