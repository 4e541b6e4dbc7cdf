"""The campaigns domain."""
