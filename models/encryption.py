"""Encryption at rest for designated columns, and keyed lookup hashes for searching them.

The keys come from settings, which models may not read: the application installs a `Keyring`
at startup (`install_keyring`), and the column types below use whichever is installed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.engine import Dialect


class KeyringNotInstalledError(RuntimeError):
    """An encrypted column was read or written before the application installed its keys."""


# A Fernet token: version 0x80, timestamp (8 bytes), IV (16), ciphertext (16n, n >= 1), HMAC (32).
_SHORTEST_TOKEN = 1 + 8 + 16 + 16 + 32


class _FernetKey:
    """Decrypts the Fernet tokens of one key as `Fernet.decrypt` does (no TTL), without
    building an HMAC, a cipher and an unpadder per token: a page of contacts decrypts
    hundreds of phone numbers, and that construction was most of its cost."""

    def __init__(self, key: str | bytes) -> None:
        raw = base64.urlsafe_b64decode(key)
        self._signing_key, self._encryption_key = raw[:16], raw[16:]
        self._local = threading.local()

    def _blocks(self) -> CipherContext:
        # ECB deciphers each block on its own, so one context serves every token (per
        # thread: contexts are not thread-safe); CBC's chaining is undone below by XOR.
        context: CipherContext | None = getattr(self._local, "context", None)
        if context is None:
            cipher = Cipher(algorithms.AES(self._encryption_key), modes.ECB())
            context = self._local.context = cipher.decryptor()
        return context

    def decrypt(self, data: bytes) -> bytes:
        """The plaintext of a decoded token; `InvalidToken` unless this key signed it."""
        signature = hmac.digest(self._signing_key, data[:-32], "sha256")
        if not hmac.compare_digest(signature, data[-32:]):
            raise InvalidToken
        ciphertext = data[25:-32]
        if len(ciphertext) % 16:
            raise InvalidToken
        deciphered = self._blocks().update(ciphertext)
        chain = data[9:-48]  # the IV, then every ciphertext block but the last
        size = len(ciphertext)
        padded = (int.from_bytes(deciphered, "big") ^ int.from_bytes(chain, "big")).to_bytes(
            size, "big"
        )
        pad = padded[-1]
        if not 1 <= pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
            raise InvalidToken
        return padded[:-pad]


class Keyring:
    """Fernet keys (the first encrypts, every one decrypts) and the lookup-hash key."""

    def __init__(self, keys: Sequence[str | bytes], hash_key: bytes) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernets = [Fernet(key) for key in keys]
        self._multi = MultiFernet(self._fernets)
        self._decrypting = [_FernetKey(key) for key in keys]
        self._hash_key = hash_key

    def encrypt(self, plaintext: str) -> str:
        return self._fernets[0].encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext; `cryptography.fernet.InvalidToken` when no listed key opens it."""
        try:
            data = base64.urlsafe_b64decode(token)
        except (ValueError, binascii.Error) as exc:
            raise InvalidToken from exc
        if len(data) < _SHORTEST_TOKEN or data[0] != 0x80:
            raise InvalidToken
        for key in self._decrypting:
            try:
                return key.decrypt(data).decode()
            except InvalidToken:
                continue
        raise InvalidToken

    def rotate(self, token: str) -> str:
        """The same plaintext, encrypted again under the first key."""
        return self._multi.rotate(token.encode("ascii")).decode("ascii")

    def digest(self, value: str) -> str:
        """Keyed HMAC-SHA256 (hex): equal inputs match, the input cannot be recovered."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


_installed: Keyring | None = None


def install_keyring(keyring: Keyring) -> None:
    """Make ``keyring`` the one every encrypted column of this process uses."""
    global _installed
    _installed = keyring


def current_keyring() -> Keyring:
    if _installed is None:
        raise KeyringNotInstalledError(
            "no encryption keys installed: call app.crypto.install_encryption(settings) first"
        )
    return _installed


def normalize_phone(phone: str) -> str:
    """Digits only, with a leading `+` kept: `+49 (30) 12-34` and `+4930 1234` are one number."""
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if phone.strip().startswith("+") else digits


def phone_hash(phone: str | None) -> str | None:
    """The lookup hash stored in `contacts.phone_hash` for a phone number."""
    return None if phone is None else current_keyring().digest(normalize_phone(phone))


def phone_hash_default(context: Any) -> str | None:
    """Column default: rows inserted without a hash (bulk inserts, seeds) get it derived."""
    return phone_hash(context.get_current_parameters().get("phone"))


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token under the installed keyring; read back as plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else current_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else current_keyring().decrypt(value)


class PhoneLookup(TypeDecorator[str]):
    """Compares a hash column with phone numbers: bound values are hashed, never stored."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return phone_hash(value)
