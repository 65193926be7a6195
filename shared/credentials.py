"""Opaque credentials (Open311 API keys, resident supervisors' certificates): shown once, stored only as a hash, so
revoking one is deleting nothing but setting a date."""

import hashlib
import secrets


def new_credential(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def credential_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()
