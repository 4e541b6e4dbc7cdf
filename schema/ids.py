"""Relay global ids for the GraphQL layer; the codec lives in the kernel (`kernel.ids`)."""

from __future__ import annotations

from kernel.ids import decode_id, decode_id_of, encode_id

__all__ = ["decode_id", "decode_id_of", "encode_id"]
