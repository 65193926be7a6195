"""Settings of the supervision service, read from `SUPERVISION_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPERVISION_", extra="ignore", frozen=True)

    port: int = Field(8003, ge=1, le=65535, description="HTTP port")
