"""Who is signed in: the session cookie (HttpOnly, SameSite=Lax), its account, and the CSRF token each form carries;
the reader's language (a cookie set by the switch, else ``Accept-Language``)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update

from services.console.adapters import tables
from services.console.adapters.store import account_of
from services.console.commands.accounts import session_hash
from services.console.domain.accounts import Account
from shared.http.dependencies import ReadSession
from shared.http.messages import preferred_language

SESSION_COOKIE, CSRF_COOKIE, LANGUAGE_COOKIE = "gridlink_session", "gridlink_csrf", "gridlink_lang"


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session_id: str
    csrf_token: str


def language(request: Request, default: str | None = None) -> str:
    """The language the reader chose by the switch; else ``default`` (the residents' site: Chinese), else the
    browser's."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    return default or preferred_language(request.headers.get("accept-language", ""))


async def _signed_in(request: Request, session: ReadSession) -> SignedIn | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    s, a = tables.sessions.c, tables.accounts.c
    row = (await session.execute(select(tables.sessions, tables.accounts).join(
        tables.accounts, a.username == s.username).where(s.id_hash == session_hash(session_id)))).first()
    settings = request.app.state.runtime.settings
    now = datetime.now(UTC)
    if row is None or now - row.last_seen > timedelta(hours=settings.session_hours):
        return None
    if now - row.last_seen > timedelta(minutes=1):  # used: the session lasts on (written at most once a minute)
        await session.execute(update(tables.sessions).where(s.id_hash == row.id_hash).values(last_seen=now))
        await session.commit()
    return SignedIn(account_of(row), session_id, row.csrf_token)


async def _signed_in_briefly(request: Request) -> SignedIn | None:
    # A page's session lasts as long as its answer; a stream's answer lasts for hours, and would hold a database
    # connection (in an open transaction) all that time: the user is looked up and the connection given back at once.
    async with request.app.state.runtime.uow.sessionmaker() as session:
        return await _signed_in(request, session)


#: The signed-in user of a page, or None (the page sends the reader to the sign-in form).
CurrentUser = Annotated[SignedIn | None, Depends(_signed_in)]
#: The same for a long answer (a stream), holding no database connection while it lasts.
StreamUser = Annotated[SignedIn | None, Depends(_signed_in_briefly)]


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)
