"""The gateways messages leave by, at the edge: SMS through an operator's HTTP gateway, e-mail over SMTP, replies
through the messaging-group bridge, or, where none is configured, a local file sink standing in for them (it keeps
masked numbers only). Each says whether a failure is worth another try (``SendFailed.permanent``)."""

from __future__ import annotations

import asyncio
import json
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import httpx

from shared.masking import mask_phone
from shared.webhooks import signed_headers


class SendFailed(Exception):
    """The gateway did not take the message; ``permanent`` when trying again cannot help (a bad number, a refused
    address), so the next channel is tried."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Outgoing:
    """One message to one address of a channel: a phone number, an e-mail address, or ``<group>/<message>``."""

    reference: str  # the delivery's id: the gateway's idempotency key
    address: str
    text: str
    subject: str = ""


class Gateway(Protocol):
    async def send(self, message: Outgoing) -> None: ...


def _http_failure(response: httpx.Response) -> SendFailed:
    # A 4xx other than a timeout or a rate limit is the gateway refusing this message: no retry will change that.
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 425, 429)
    return SendFailed(f"gateway answered {response.status_code}", permanent=permanent)


class HttpSmsGateway:
    """An SMS operator's gateway: ``POST {url}`` with ``{"to", "text", "reference"}`` and a bearer token."""

    def __init__(self, client: httpx.AsyncClient, url: str, token: str | None):
        self._client, self._url = client, url
        self._headers = {"authorization": f"Bearer {token}"} if token else {}

    async def send(self, message: Outgoing) -> None:
        try:
            response = await self._client.post(self._url, headers=self._headers, json={
                "to": message.address, "text": message.text, "reference": message.reference})
        except httpx.HTTPError as exc:
            raise SendFailed(f"gateway unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise _http_failure(response)


class MessagingBridge:
    """Replies in the messaging group a resident reported in: ``POST {url}`` signed per Standard Webhooks with the
    bridge's secret, ``{"group_id", "reply_to", "text", "reference"}``."""

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str):
        self._client, self._url, self._secret = client, url, secret

    async def send(self, message: Outgoing) -> None:
        group, _, replied = message.address.partition("/")
        body = json.dumps({"group_id": group, "reply_to": replied, "text": message.text,
                           "reference": message.reference}, ensure_ascii=False).encode()
        headers = {**signed_headers(self._secret, message.reference, body), "content-type": "application/json"}
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendFailed(f"bridge unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise _http_failure(response)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class SmtpMailer:
    """E-mail over SMTP (the standard library's client, in a thread: a send is one short conversation)."""

    def __init__(self, settings: SmtpSettings):
        self._settings = settings

    def _send(self, message: Outgoing) -> None:
        s = self._settings
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = s.sender, message.address, message.subject or "gridlink"
        mail["Message-ID"] = f"<{message.reference}@gridlink>"
        mail.set_content(message.text)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(mail)

    async def send(self, message: Outgoing) -> None:
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPRecipientsRefused:
            raise SendFailed("the mail server refused the address", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"the mail server answered {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600) \
                from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"mail server unreachable ({type(exc).__name__})") from None


class FileSink:
    """Stands in for a gateway that is not configured: one JSON line per message in ``path``, numbers masked. The file
    stays open; a line is written straight from the event loop (a local append takes microseconds)."""

    def __init__(self, path: Path, channel: str):
        self._path, self._channel = path, channel
        self._file = None

    async def send(self, message: Outgoing) -> None:
        address = mask_phone(message.address) if self._channel == "sms" else message.address
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "channel": self._channel,
                           "reference": message.reference, "to": address, "subject": message.subject or None,
                           "text": message.text}, ensure_ascii=False)
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("a", encoding="utf-8", buffering=1)  # line-buffered: each line lands whole
        self._file.write(line + "\n")
