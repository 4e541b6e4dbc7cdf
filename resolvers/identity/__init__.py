"""Identity: users and teams (synced from the HRM) and API clients (OAuth2 client credentials)."""
