"""Outbound webhooks: delivery of the `events` outbox (see the outbound webhooks issue)."""
