"""Settings of the intake service, read from `INTAKE_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)

    port: int = Field(8001, ge=1, le=65535, description="HTTP port")
