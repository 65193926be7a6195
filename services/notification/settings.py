"""Settings of the notification service, read from `NOTIFICATION_*` environment variables."""

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.notification.retries import DEFAULT_SCHEDULE, parse_schedule
from shared.runtime.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", frozen=True)

    port: int = Field(8004, ge=1, le=65535, description="HTTP port")
    webhook_allowed_networks: str = Field(
        "", description="Comma-separated networks a webhook may target although internal (e.g. 127.0.0.0/8 for a "
                        "local test receiver); none by default")

    webhook_retry_schedule: str = Field(
        DEFAULT_SCHEDULE, description="Waits after each failed webhook attempt (e.g. 5s,5m,30m,2h); jittered ±20 %; "
                                      "after the last one the message is given up")
    webhook_disable_after_hours: float = Field(
        72, gt=0, description="An endpoint failing without a single success for this long is disabled, with an alert")
    webhook_timeout_seconds: float = Field(10, gt=0, le=60, description="Time an endpoint has to answer an attempt")
    webhook_concurrency: int = Field(200, ge=1, le=2000, description="Webhook attempts in flight at once, in all")
    webhook_per_endpoint: int = Field(
        8, ge=1, le=100, description="Attempts in flight at once to one endpoint (a slow one cannot take every slot)")
    webhook_poll_seconds: float = Field(0.5, gt=0, description="How often the webhook sender looks for due messages")

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @property
    def retry_schedule(self) -> tuple[timedelta, ...]:
        return parse_schedule(self.webhook_retry_schedule)

    @property
    def allowed_networks(self) -> list[str]:
        return [n.strip() for n in self.webhook_allowed_networks.split(",") if n.strip()]
