"""GraphQL side of privacy: consents, personal-data export and erasure."""
