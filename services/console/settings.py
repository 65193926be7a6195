"""Settings of the console, read from `CONSOLE_*` environment variables."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", frozen=True)

    port: int = Field(8005, ge=1, le=65535, description="HTTP port")
    jurisdiction_id: str = Field("cn-changning", description="The district this console serves (the tokens it "
                                 "signs as its own service name it)")
    report_max_bytes: int = Field(76_546_048, ge=65_536, description="Largest report the residents' form may send: "
                                  "nine photos at intake's largest, for phones without JavaScript (which resizes "
                                  "them first)")
    jwt_private_key: str = Field(description="PEM Ed25519 private key the console signs its users' short-lived "
                                 "tokens with (the services verify them with the public key)")
    session_hours: float = Field(12, gt=0, le=168, description="How long a sign-in lasts without use")
    token_minutes: float = Field(15, gt=0, le=240, description="Lifetime of the tokens issued for a user's actions")
    lockout_failures: int = Field(5, ge=1, le=100, description="Wrong passwords in a row before an account locks")
    lockout_minutes: float = Field(15, gt=0, le=1440, description="How long a locked account stays locked")
    intake_url: str = Field("http://127.0.0.1:8001", description="Intake's base URL (photos, call-backs, the "
                            "residents' contacts for those who may see them)")
    dispatch_url: str = Field("http://127.0.0.1:8002", description="Dispatch's base URL: the actions on cases")
    supervision_url: str = Field("http://127.0.0.1:8003", description="Supervision's base URL: extensions, urging, "
                                 "rates")
    notification_url: str = Field("http://127.0.0.1:8004", description="Notification's base URL: inboxes")
    operations_sample_seconds: float = Field(30, ge=1, le=600, description="How often the operations page's figures "
                                             "are sampled from every service")
    oidc_issuer: str | None = Field(None, description="An OpenID Connect provider's issuer URL: staff sign in there "
                                    "(authorization code flow with PKCE); unset: only the console's own accounts")
    oidc_client_id: str | None = Field(None, description="The console's client id at the provider")
    oidc_client_secret: str | None = Field(None, description="The console's client secret at the provider")
    oidc_redirect_url: str | None = Field(None, description="Where the provider sends people back (registered with "
                                          "it); default: this console's /sign-in/oidc/callback as it was reached")
    oidc_role_claim: str = Field("gridlink_role", description="The ID token claim that names the person's role")
    oidc_unit_claim: str = Field("gridlink_unit", description="The claim that names a unit's staff's unit")
    oidc_area_claim: str = Field("gridlink_area", description="The claim naming the area worked in (a street, "
                                 "community or grid id; none: the whole district)")
    oidc_label: str | None = Field(None, description="What the sign-in page calls the provider (default: "
                                   "统一身份认证, single sign-on in English)")
    local_accounts: bool = Field(True, description="Accept the console's own passwords too (false: the provider "
                                 "only)")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (on behind https; the local footing is http)")

    def body_limits(self) -> dict[str, int]:
        return {"/report": self.report_max_bytes}

    @field_validator("jwt_private_key")
    @classmethod
    def _private_pem(cls, value: str) -> str:
        if "BEGIN PRIVATE KEY" not in value:
            raise ValueError("must be a PEM private key")
        return value
