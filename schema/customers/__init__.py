"""GraphQL side of customers: customers, contacts, interactions and purchases."""
