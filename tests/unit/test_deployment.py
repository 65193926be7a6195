"""docker-compose.yml, the Kubernetes manifests and the settings classes cannot drift apart."""

from pathlib import Path

import pytest
import yaml

from services.console.settings import ConsoleSettings
from services.dispatch.settings import DispatchSettings
from services.intake.settings import IntakeSettings
from services.notification.settings import NotificationSettings
from services.supervision.settings import SupervisionSettings

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS = {"intake": IntakeSettings, "dispatch": DispatchSettings, "supervision": SupervisionSettings,
            "notification": NotificationSettings, "console": ConsoleSettings}


@pytest.mark.parametrize("name", SETTINGS)
def test_each_compose_service_sets_only_variables_its_settings_class_reads_and_every_required_one(name):
    cls = SETTINGS[name]
    service = COMPOSE["services"][name]
    environment = service["environment"]
    known = {cls.env_name(field) for field in cls.model_fields}
    required = {cls.env_name(field) for field, info in cls.model_fields.items() if info.is_required()}
    assert set(environment) <= known, set(environment) - known
    assert required <= set(environment), required - set(environment)
    port = int(environment[cls.env_name("port")])
    assert port == cls.model_fields["port"].default
    assert service["ports"] == [f"{port}:{port}"]
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert "/readyz" in " ".join(service["healthcheck"]["test"]) and str(port) in " ".join(service["healthcheck"]["test"])
    assert environment[cls.env_name("kafka_idempotence")] == "true"  # Apache Kafka accepts idempotent producers
    assert environment[cls.env_name("database_url")].endswith(f"/gridlink_{name}")
    assert {dep: c["condition"] for dep, c in service["depends_on"].items()} == {"postgres": "service_healthy",
                                                                                 "kafka": "service_healthy"}


def test_kafka_runs_in_kraft_mode_on_a_single_node_and_postgres_creates_every_services_database():
    kafka = COMPOSE["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "healthcheck" in kafka and "healthcheck" in COMPOSE["services"]["postgres"]
    init = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    for name in SETTINGS:
        assert f"CREATE DATABASE gridlink_{name};" in init


def test_every_settings_field_has_a_description_for_the_readmes_configuration_table():
    for cls in SETTINGS.values():
        for field, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{field}"


KUBERNETES = ROOT / "deploy" / "kubernetes"


@pytest.mark.parametrize("name", SETTINGS)
def test_each_kubernetes_deployment_runs_several_instances_with_the_variables_its_settings_class_reads(name):
    cls = SETTINGS[name]
    documents = {d["kind"]: d for d in yaml.safe_load_all((KUBERNETES / f"{name}.yaml").read_text())}
    deployment = documents["Deployment"]
    assert deployment["spec"]["replicas"] >= 2  # instances share the partitions of the service's consumer group
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in container["env"]}
    known = {cls.env_name(field) for field in cls.model_fields}
    required = {cls.env_name(field) for field, info in cls.model_fields.items() if info.is_required()}
    assert names <= known, names - known
    assert required <= names, required - names
    port = int(next(e["value"] for e in container["env"] if e["name"] == cls.env_name("port")))
    assert container["ports"][0]["containerPort"] == port == documents["Service"]["spec"]["ports"][0]["port"]
    assert container["command"] == ["python", "-m", f"services.{name}"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert f"{name}.yaml" in kustomization["resources"]
