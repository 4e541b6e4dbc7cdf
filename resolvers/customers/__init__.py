"""The customers domain: customers, their contacts, interactions and purchases."""
