"""The settings every service shares; each service subclasses it with its own env prefix."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Read from the environment (``<PREFIX>_<FIELD>``); a wrong or missing value stops the start."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = Field(description="PostgreSQL URL of this service's own database")
    kafka_bootstrap_servers: str = Field(description="Kafka bootstrap servers, host:port[,host:port]")
    kafka_idempotence: bool = Field(True, description="Idempotent producer: on for Apache Kafka, off for Tansu")
    kafka_replication_factor: int = Field(1, ge=1, description="Replication factor of topics this service creates")
    host: str = Field("127.0.0.1", description="Address the HTTP server binds")
    forwarded_allow_ips: str = Field("127.0.0.1", description="Addresses or networks (comma-separated) whose "
                                     "`X-Forwarded-For` is believed: the console's and a proxy's in front, so that "
                                     "limits count the resident, not them")
    port: int = Field(ge=1, le=65535, description="HTTP port")
    jwt_public_key: str = Field(description="PEM Ed25519 public key that verifies bearer tokens")
    jwt_issuer: str = Field("gridlink", description="Required `iss` claim")
    jwt_audience: str = Field("gridlink", description="Required `aud` claim")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted")
    demo_data: bool = Field(False, description="Load the demo ground at start (idempotent)")
    relay_poll_seconds: float = Field(0.5, gt=0, description="Outbox relay poll interval")
    consumer_max_attempts: int = Field(5, ge=1, description="Attempts before a failing record is dead-lettered")
    workers: int = Field(1, ge=1, le=16, description="Processes serving this service's port, each a whole instance "
                         "(HTTP, relay, consumer in the group, background workers)")
    public_metrics: bool = Field(False, description="Serve /metrics to anyone (the local footing); otherwise only "
                                 "to a bearer token of role service or admin (a Prometheus scraper's)")
    rate_limits_enabled: bool = Field(True, description="Apply the rate limits and lockouts (kept in each instance's "
                                      "memory: N instances admit up to N times a limit)")
    header_timeout_seconds: float = Field(10, gt=0, le=300, description="A client that has not sent a request's "
                                          "headers within this is disconnected (slow clients)")
    body_timeout_seconds: float = Field(30, gt=0, le=600, description="A client that sends nothing of the body "
                                        "for this long gets 408")
    outbox_replay_hours: float = Field(0, ge=0, le=72, description="On start, publish again the events of the last N "
                                       "hours (a broker that lost its topics); consumers skip what they applied")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if not value.startswith(("postgresql", "postgres:")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("jwt_public_key")
    @classmethod
    def _pem(cls, value: str) -> str:
        if "BEGIN PUBLIC KEY" not in value:
            raise ValueError("must be a PEM public key")
        return value

    def rate_limits(self) -> dict[str, str]:
        """The service's named rate limits, as ``limits`` parses them (shared/http/rate_limits.py)."""
        return {}

    def body_limits(self) -> dict[str, int]:
        """Larger body limits for paths under these prefixes (uploads); everything else gets ``max_body_bytes``."""
        return {}

    @classmethod
    def env_name(cls, field: str) -> str:
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def load(cls) -> Self:
        """Settings from the environment, or ``SystemExit`` naming every variable that is wrong or missing."""
        try:
            return cls()
        except ValidationError as exc:
            lines = []
            for error in exc.errors():
                name = cls.env_name(str(error["loc"][0])) if error["loc"] else cls.__name__
                reason = "is missing" if error["type"] == "missing" else f"is invalid: {error['msg']}"
                lines.append(f"  {name} {reason}")
            raise SystemExit(f"{cls.__name__}: cannot start\n" + "\n".join(lines)) from None
