"""Settings of the notification service, read from `NOTIFICATION_*` environment variables."""

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.notification.domain.retries import DEFAULT_SCHEDULE, parse_schedule
from shared.runtime.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", frozen=True)

    port: int = Field(8004, ge=1, le=65535, description="HTTP port")
    webhook_allowed_networks: str = Field(
        "", description="Comma-separated networks a webhook may target although internal (e.g. 127.0.0.0/8 for a "
                        "local test receiver); none by default")

    track_url: str = Field("http://127.0.0.1:8005/track/{tracking_code}",
                           description="Where a resident follows and judges a case, with `{tracking_code}`: the "
                           "console's residents' page (a deployment points it at its public address)")
    intake_url: str | None = Field(None, description="Intake's base URL: the numbers of the residents to text are "
                                                     "fetched from it, audited (unset: SMS waits, undelivered)")
    service_token: str | None = Field(None, description="Bearer token of role `service` this service calls intake with")
    sms_gateway_url: str | None = Field(None, description="The SMS operator's HTTP gateway; unset: messages are "
                                                          "written to outbox_dir/sms.jsonl (numbers masked)")
    sms_gateway_token: str | None = Field(None, description="Bearer token for the SMS gateway")
    smtp_host: str | None = Field(None, description="SMTP server for e-mail; unset: outbox_dir/email.jsonl")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_sender: str = Field("gridlink@localhost", description="From: address of e-mail")
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one")
    smtp_password: str | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS")
    messaging_bridge_url: str | None = Field(None, description="Where replies to messaging groups are posted; unset: "
                                                               "outbox_dir/messaging-group.jsonl")
    messaging_bridge_secret: str | None = Field(None, description="Standard Webhooks secret replies are signed with")
    outbox_dir: str = Field(".gridlink/outbox", description="Directory of the file sinks standing in for gateways")
    delivery_batch: int = Field(200, ge=1, le=5000, description="Messages the sender takes at a time")
    delivery_poll_seconds: float = Field(0.5, gt=0, description="How often the sender looks for queued messages")
    delivery_max_attempts: int = Field(5, ge=1, le=50, description="Tries on one channel before the next is taken")
    recipient_hourly_limit: int = Field(10, ge=1, description="Messages one recipient gets by SMS, e-mail or "
                                                              "messaging group in an hour; more wait")
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
