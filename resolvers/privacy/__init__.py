"""Personal data: masking, consent, export, erasure and key rotation."""

from resolvers.privacy.masking import mask_email, mask_phone

__all__ = ["mask_email", "mask_phone"]
