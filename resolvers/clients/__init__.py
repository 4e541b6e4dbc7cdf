"""API clients: partner systems that get tokens by OAuth2 client credentials."""
