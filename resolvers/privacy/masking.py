"""PII masking for principals without `pii:read`."""

from __future__ import annotations


def mask_email(email: str | None) -> str | None:
    """`a***@example.com`: enough to tell addresses apart, not to write to them."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """`***-12`: only the last two digits."""
    if not phone:
        return phone
    digits = [char for char in phone if char.isdigit()]
    return "***-" + "".join(digits[-2:])
