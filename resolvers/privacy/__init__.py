"""Personal data: masking, consent, export, erasure, key rotation and retention."""

from resolvers.privacy.masking import mask_email, mask_phone

__all__ = ["mask_email", "mask_phone"]
