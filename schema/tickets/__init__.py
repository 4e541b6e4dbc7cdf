"""GraphQL side of tickets: comments, SLA, the knowledge base and service reports."""
