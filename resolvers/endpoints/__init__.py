"""Webhook endpoints: registration, secrets, state, and delivery recovery."""
