"""The HTTP layer: the Starlette app, GraphQL over HTTP, OAuth2, limits, uploads and downloads."""
