"""Settings of the supervision service, read from `SUPERVISION_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPERVISION_", extra="ignore", frozen=True)

    port: int = Field(8003, ge=1, le=65535, description="HTTP port")
    deadline_poll_seconds: float = Field(1.0, gt=0, le=60, description="How often due deadlines are looked for")
    deadline_batch: int = Field(1000, ge=1, le=50_000, description="Clocks fired per transaction")
    ranking_min_facts: int = Field(5, ge=1, le=10_000, description="Rated facts a unit or street needs before it is "
                                   "ranked or put on the red or black list (fewer say too little)")
    deadline_per_unit: int = Field(50, ge=1, description="Firings for one unit per poll before the rest are spread")
