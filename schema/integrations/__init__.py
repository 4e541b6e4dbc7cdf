"""GraphQL side of integrations: connectors and connections."""
