"""GraphQL side of webhooks: endpoints, deliveries, attempts and the outbox."""
