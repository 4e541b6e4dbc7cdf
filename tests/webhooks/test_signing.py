"""Signatures verify with the public standardwebhooks package, as receivers will check them."""

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.signing import generate_secret, signature_headers, verify


def test_generated_secret_has_the_whsec_form() -> None:
    secret = generate_secret()

    assert secret.startswith("whsec_")
    assert len(secret) > 30


def test_signature_verifies_with_the_standardwebhooks_library() -> None:
    secret = generate_secret()
    body = json.dumps({"type": "customer.created", "data": {"id": "1"}}).encode()

    headers = signature_headers([secret], "evt_1", int(time.time()), body)

    assert Webhook(secret).verify(body, headers) == {
        "type": "customer.created",
        "data": {"id": "1"},
    }


def test_during_rotation_both_secrets_sign_and_each_verifies() -> None:
    old, new = generate_secret(), generate_secret()
    body = b'{"type":"deal.won"}'

    headers = signature_headers([new, old], "evt_2", int(time.time()), body)

    assert Webhook(old).verify(body, headers) == {"type": "deal.won"}
    assert Webhook(new).verify(body, headers) == {"type": "deal.won"}


def test_a_changed_body_does_not_verify() -> None:
    secret = generate_secret()
    headers = signature_headers([secret], "evt_3", int(time.time()), b'{"a":1}')

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)
    assert not verify(
        secret, "evt_3", int(headers["webhook-timestamp"]), b'{"a":2}', headers["webhook-signature"]
    )


def test_another_secret_does_not_verify() -> None:
    headers = signature_headers([generate_secret()], "evt_4", int(time.time()), b"{}")

    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(b"{}", headers)
