"""The service around the CRM core: settings, database, auth, HTTP app and CLI."""
