"""Settings of the notification service, read from `NOTIFICATION_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", frozen=True)

    port: int = Field(8004, ge=1, le=65535, description="HTTP port")
