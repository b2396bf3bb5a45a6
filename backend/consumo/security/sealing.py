"""Secrets the server must read back (webhook signing secrets), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under the keys of `WEBHOOK_SECRET_KEYS`
(comma-separated): the first key seals, every key unseals, so a key is rotated by putting a new
one first, running `consumo reseal-secrets` (every sealed value re-encrypted under the first key),
then dropping the old one. A database dump alone no longer holds a usable signing secret.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from consumo.config import get_settings


class UnreadableSecret(Exception):
    """A sealed value none of the configured keys opens (a key was dropped too early)."""


def derived_development_key(app_secret: str) -> str:
    """The key used when WEBHOOK_SECRET_KEYS is unset (development and tests only): derived
    from the app's JWT secret, so a development database stays readable between runs."""
    digest = hashlib.sha256(b"consumo webhook secrets\0" + app_secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def configured_keys() -> list[str]:
    settings = get_settings()
    keys = [key.strip() for key in settings.webhook_secret_keys.split(",") if key.strip()]
    return keys or [derived_development_key(settings.jwt_secret)]


@lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _box(tuple(configured_keys()))


def seal(plain: str) -> str:
    return _current().encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _current().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("No key of WEBHOOK_SECRET_KEYS opens this secret.") from None


def reseal(sealed: str) -> str:
    """The same secret sealed under the first key (after a key was added in front)."""
    try:
        return _current().rotate(sealed.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("No key of WEBHOOK_SECRET_KEYS opens this secret.") from None
