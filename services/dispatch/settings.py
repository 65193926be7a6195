"""Settings of the dispatch service, read from `DISPATCH_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore", frozen=True)

    port: int = Field(8002, ge=1, le=65535, description="HTTP port")
    max_photo_bytes: int = Field(8_388_608, ge=1024, description="Largest photo a unit may upload, in bytes")
    max_import_bytes: int = Field(5_242_880, ge=1024, description="Largest unit-directory import file, in bytes")
    max_import_rows: int = Field(10_000, ge=1, description="Most units one import file may hold")
    check_in_poll_seconds: float = Field(15, gt=0, description="How often joint handling's missed check-ins are "
                                         "looked for")

    def body_limits(self) -> dict[str, int]:
        # A multipart upload needs a little room around the file.
        return {"/v1/photos": self.max_photo_bytes + 65_536, "/v1/units/import": self.max_import_bytes + 65_536}
