"""Settings of the intake service, read from `INTAKE_*` environment variables."""

from datetime import timedelta
from functools import cache
from pathlib import Path

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.intake.domain.duplicates import DuplicatePolicy
from services.intake.domain.neighbours import load_neighbours
from services.intake.domain.reports import IntakePolicy
from shared.runtime.settings import ServiceSettings


@cache
def _neighbours(path: Path) -> tuple:
    return load_neighbours(path)


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)

    port: int = Field(8001, ge=1, le=65535, description="HTTP port")
    jurisdiction_id: str = Field("cn-changning", description="Open311 `jurisdiction_id` this endpoint serves")
    triage_confidence: float = Field(0.5, ge=0, le=1, description="Below this classifier confidence a case goes to "
                                     "the triage queue for a person")
    duplicate_radius_m: float = Field(150, gt=0, description="Reports of one sub-item closer than this may be duplicates")
    duplicate_window_hours: float = Field(72, gt=0, description="Only open cases reported this recently are matched")
    duplicate_min_similarity: float = Field(0.35, ge=0, le=1, description="Text similarity (Dice, 0-1) above which "
                                            "a nearby report is linked")
    rebound_window_days: float = Field(90, gt=0, description="A new case of a sub-item within the duplicate radius "
                                       "of one completed this recently is a rebound: linked and counted")
    max_photo_bytes: int = Field(8_388_608, ge=1024, description="Largest photo accepted, in bytes")
    max_import_bytes: int = Field(10_485_760, ge=1024, description="Largest import file accepted, in bytes")
    max_import_rows: int = Field(20_000, ge=1, description="Most rows one import file may hold")
    reveals_per_hour: int = Field(20, ge=1, description="Most cases whose residents' contacts one person may see in an "
                                  "hour")
    # Rate limits (`limits` syntax, several joined by `;`): what one caller may do in a while.
    reports_per_address: str = Field("20/minute;200/hour", description="Reports (self-service, Open311) from one "
                                     "client address")
    reports_per_phone: str = Field("5/10 minutes;20/day", description="Reports giving one phone number")
    photos_per_address: str = Field("30/minute;300/hour", description="Photo uploads from one client address")
    open311_per_key: str = Field("120/minute", description="Open311 requests created with one api_key")
    tracking_per_address: str = Field("30/minute", description="Tracking look-ups and verdicts from one client address")
    lookups_per_address: str = Field("120/minute", description="Address suggestions and nearby cases asked from one "
                                     "client address")
    tracking_failures: str = Field("5/15 minutes", description="Wrong phone digits for one tracking code before the "
                                   "code is locked (until the oldest failure is that old)")
    neighbours_file: Path = Field(Path(__file__).parent / "neighbours.yaml", description="The neighbouring "
                                  "jurisdictions and their hotlines, to tell a resident where a report outside this "
                                  "one belongs (YAML)")
    messaging_bridge_secret: str | None = Field(None, description="Standard Webhooks secret (`whsec_…`) that signs "
                                                "the messaging-group bridge's requests; unset: the bridge is refused")

    @field_validator("reports_per_address", "reports_per_phone", "photos_per_address", "open311_per_key",
                     "tracking_per_address", "lookups_per_address", "tracking_failures")
    @classmethod
    def _limit(cls, value: str) -> str:
        parse_many(value)  # a ValueError names what is wrong
        return value

    def rate_limits(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ("reports_per_address", "reports_per_phone",
                                                       "photos_per_address", "open311_per_key",
                                                       "tracking_per_address", "lookups_per_address",
                                                       "tracking_failures")}

    def body_limits(self) -> dict[str, int]:
        # Photos and import files are bigger than any JSON body; the envelope of a multipart upload needs a little room.
        return {"/v1/photos": self.max_photo_bytes + 65_536, "/v1/imports": self.max_import_bytes + 65_536}

    def policy(self) -> IntakePolicy:
        return IntakePolicy(triage_confidence=self.triage_confidence, duplicates=DuplicatePolicy(
            radius_m=self.duplicate_radius_m, window=timedelta(hours=self.duplicate_window_hours),
            min_similarity=self.duplicate_min_similarity, rebound_window=timedelta(days=self.rebound_window_days)),
            neighbours=_neighbours(self.neighbours_file))
