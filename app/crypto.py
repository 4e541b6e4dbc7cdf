"""The encryption keyring from settings: explicit keys in production, derived in development."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.settings import Environment, Settings
from models.encryption import Keyring, install_keyring


class MissingKeysError(RuntimeError):
    """Production without CRM_ENCRYPTION_KEYS and CRM_HASH_KEY: the service must not start."""


def _derived(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"crm:{purpose}".encode(), hashlib.sha256).digest()


def keyring_from_settings(settings: Settings) -> Keyring:
    """The keyring the settings describe; `MissingKeysError` in production without keys."""
    if settings.crm_env == Environment.PRODUCTION and not (
        settings.crm_encryption_keys and settings.crm_hash_key
    ):
        raise MissingKeysError(
            "CRM_ENCRYPTION_KEYS and CRM_HASH_KEY must be set in production "
            "(`crm keys generate` prints a new key)"
        )
    if settings.crm_encryption_keys:
        keys = [key.strip() for key in settings.crm_encryption_keys.split(",") if key.strip()]
    else:
        derived = _derived(settings.crm_secret_key, "encryption-key")
        keys = [base64.urlsafe_b64encode(derived).decode("ascii")]
    if settings.crm_hash_key:
        hash_key = settings.crm_hash_key.encode()
    else:
        hash_key = _derived(settings.crm_secret_key, "lookup-hash-key")
    try:
        return Keyring(keys, hash_key)
    except ValueError as exc:
        raise MissingKeysError(f"CRM_ENCRYPTION_KEYS holds an invalid key: {exc}") from exc


def install_encryption(settings: Settings) -> None:
    """Install the settings' keyring for every encrypted column of this process."""
    install_keyring(keyring_from_settings(settings))
