"""GraphQL side of bulk import and export."""
