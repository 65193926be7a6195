"""Settings of the notification service, read from `NOTIFICATION_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", frozen=True)

    port: int = Field(8004, ge=1, le=65535, description="HTTP port")
    webhook_allowed_networks: str = Field(
        "", description="Comma-separated networks a webhook may target although internal (e.g. 127.0.0.0/8 for a "
                        "local test receiver); none by default")

    @property
    def allowed_networks(self) -> list[str]:
        return [n.strip() for n in self.webhook_allowed_networks.split(",") if n.strip()]
