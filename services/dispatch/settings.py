"""Settings of the dispatch service, read from `DISPATCH_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore", frozen=True)

    port: int = Field(8002, ge=1, le=65535, description="HTTP port")
