"""The local platform's token-signing key pair, kept in the data directory."""

from __future__ import annotations

import os
from pathlib import Path

from shared.auth import generate_keypair
from shared.webhooks import new_secret


def ensure_keypair(data_dir: Path) -> tuple[str, str]:
    """(private PEM, public PEM); made on first use, then reused so tokens survive a restart."""
    keys = data_dir / "keys"
    private, public = keys / "jwt-ed25519.pem", keys / "jwt-ed25519.pub.pem"
    if not private.exists():
        keys.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_keypair()
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(private_pem)
        public.write_text(public_pem)
    return private.read_text(), public.read_text()


def ensure_secret(data_dir: Path, name: str) -> str:
    """A Standard Webhooks secret (``whsec_…``) kept in the data directory, made on first use."""
    path = data_dir / "keys" / f"{name}.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_secret())
    return path.read_text().strip()
