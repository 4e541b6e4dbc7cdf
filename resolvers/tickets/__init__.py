"""The tickets domain: the ticket workflow, SLA, the knowledge base and service reports."""
