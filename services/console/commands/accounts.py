"""Staff accounts and sign-in: argon2id password hashes, a lockout after repeated failures, sessions kept as the
hash of their cookie."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.console.adapters.store import ConsoleStore
from services.console.domain.accounts import Account, after_failure, password_problem
from shared.auth import Role
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused

_HASHER = PasswordHasher()
#: The password hash of an account an identity provider vouches for: no password verifies against it.
FEDERATED = "!federated"
# A wrong username costs the same as a wrong password: a hash to check against.
_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def create_account(uow: UnitOfWork, *, username: str, password: str, display_name: str, role: Role,
                         jurisdiction: str, scope: tuple[str, ...] = (), unit_id: str | None = None) -> None:
    problem = password_problem(password, username)
    if problem:
        raise Refused("weak_password", f"the password is too weak: {problem}", "password")
    if role is Role.UNIT_STAFF and not unit_id:
        raise Refused("missing_field", "unit staff belong to a unit", "unit_id")
    created = await uow.store.save_account(dict(
        username=username, display_name=display_name, password_hash=_HASHER.hash(password), role=str(role),
        jurisdiction=jurisdiction, scope=list(scope or (jurisdiction,)), unit_id=unit_id,
        created_at=datetime.now(UTC)))
    if not created:
        raise Refused("account_exists", "an account with this username exists", "username", status=409)


async def sign_in(uow: UnitOfWork, username: str, password: str, *, failures_allowed: int,
                  lock_for: timedelta) -> tuple[Account, str, str] | Refused:
    """The account, a new session id (the cookie) and its CSRF token; or the refusal, alike for a wrong username or
    password, and while the account is locked. A refusal is returned, not raised: the failure it counts must
    commit."""
    store: ConsoleStore = uow.store
    now = datetime.now(UTC)
    found = await store.account(username)
    account, stored_hash = found if found else (None, _DUMMY_HASH)
    try:
        _HASHER.verify(stored_hash, password)
        valid = account is not None
    except (VerificationError, InvalidHashError):
        valid = False
    if account is not None and account.locked(now):
        return Refused("account_locked", "too many wrong passwords: the account is locked for a while", "password",
                       status=429, retry_after=int((account.locked_until - now).total_seconds()) + 1)
    if not valid:
        if account is not None:
            failures, locked_until = after_failure(account, now, limit=failures_allowed, lock_for=lock_for)
            await store.record_sign_in(account.username, failures=failures, locked_until=locked_until)
        return Refused("wrong_credentials", "the username or the password is wrong", "password", status=401)
    rehashed = _HASHER.hash(password) if _HASHER.check_needs_rehash(stored_hash) else None
    await store.record_sign_in(account.username, failures=0, locked_until=None, signed_in_at=now,
                               password_hash=rehashed)
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await store.open_session(session_hash(session_id), account.username, csrf, now)
    return account, session_id, csrf


async def sign_out(uow: UnitOfWork, session_id: str) -> None:
    await uow.store.close_session(session_hash(session_id))


async def sign_in_federated(uow: UnitOfWork, account: Account) -> tuple[Account, str, str]:
    """A person the identity provider vouched for: their account as the provider now says it is (no password of
    ours: it cannot sign in with one), and a new session."""
    store: ConsoleStore = uow.store
    now = datetime.now(UTC)
    await store.keep_federated_account(dict(
        username=account.username, display_name=account.display_name, password_hash=FEDERATED,
        role=str(account.role), jurisdiction=account.jurisdiction, scope=list(account.scope),
        unit_id=account.unit_id, created_at=now, last_sign_in=now))
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await store.open_session(session_hash(session_id), account.username, csrf, now)
    return account, session_id, csrf
