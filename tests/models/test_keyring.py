"""The keyring decrypts exactly what Fernet decrypts, and refuses exactly what it refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from models.encryption import Keyring

HASH_KEY = b"h" * 32
OLD, NEW, OTHER = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000])
def test_decrypts_what_fernet_encrypted_at_every_padding(length: int) -> None:
    plaintext = base64.b64encode(os.urandom(length))[:length].decode()
    token = Fernet(NEW).encrypt(plaintext.encode()).decode()

    assert Keyring([NEW], HASH_KEY).decrypt(token) == plaintext


def test_decrypts_non_ascii_text() -> None:
    token = Fernet(NEW).encrypt("Zoë Ünal, 東京".encode()).decode()

    assert Keyring([NEW], HASH_KEY).decrypt(token) == "Zoë Ünal, 東京"


def test_decrypts_tokens_of_every_listed_key() -> None:
    keyring = Keyring([NEW, OLD], HASH_KEY)
    tokens = [Fernet(key).encrypt(b"+49 30 1234567").decode() for key in (OLD, NEW, OLD)]

    assert [keyring.decrypt(token) for token in tokens] == ["+49 30 1234567"] * 3


def test_refuses_a_token_of_an_unlisted_key() -> None:
    token = Fernet(OTHER).encrypt(b"secret").decode()

    with pytest.raises(InvalidToken):
        Keyring([NEW, OLD], HASH_KEY).decrypt(token)


def test_refuses_every_single_byte_tampering() -> None:
    keyring = Keyring([NEW], HASH_KEY)
    data = bytearray(base64.urlsafe_b64decode(Fernet(NEW).encrypt(b"+1 555 0100")))
    for index in range(len(data)):
        tampered = bytearray(data)
        tampered[index] ^= 0x01
        token = base64.urlsafe_b64encode(bytes(tampered)).decode()
        with pytest.raises(InvalidToken):
            keyring.decrypt(token)


@pytest.mark.parametrize("token", ["", "not base64 !", "gAAAAA", "a" * 200])
def test_refuses_what_is_not_a_token(token: str) -> None:
    with pytest.raises(InvalidToken):
        MultiFernet([Fernet(NEW)]).decrypt(token.encode())
    with pytest.raises(InvalidToken):
        Keyring([NEW], HASH_KEY).decrypt(token)


def test_refuses_a_token_signed_right_but_padded_wrong() -> None:
    # A key holder could sign a token whose plaintext padding is broken: Fernet refuses it.
    raw = base64.urlsafe_b64decode(NEW)
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(raw[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + bytes(8) + iv + encryptor.update(b"A" * 15 + b"\x05") + encryptor.finalize()
    token = base64.urlsafe_b64encode(body + hmac.digest(raw[:16], body, hashlib.sha256)).decode()

    with pytest.raises(InvalidToken):
        Fernet(NEW).decrypt(token)
    with pytest.raises(InvalidToken):
        Keyring([NEW], HASH_KEY).decrypt(token)
