"""Staff accounts in plain Python: who may sign in (a role and a scope, issue 08's), passwords strong enough, and
the lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.auth import Role

MIN_PASSWORD = 10


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: Role
    jurisdiction: str
    scope: tuple[str, ...]
    unit_id: str | None = None
    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def password_problem(password: str, username: str) -> str | None:
    """Why a password is refused, or None: long enough, not the username, not one repeated character."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if username.lower() in password.lower():
        return "must not contain the username"
    if len(set(password)) < 4:
        return "too few different characters"
    return None


def after_failure(account: Account, now: datetime, *, limit: int, lock_for: timedelta) -> tuple[int, datetime | None]:
    """The failure count and lock after one more wrong password: locked once ``limit`` are reached in a row."""
    failures = account.failures + 1
    return (0, now + lock_for) if failures >= limit else (failures, account.locked_until)
