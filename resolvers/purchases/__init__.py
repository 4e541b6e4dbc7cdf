"""The purchases domain."""
