"""GraphQL side of identity: users, teams and API clients."""
