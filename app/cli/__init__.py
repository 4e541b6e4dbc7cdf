"""The `crm` command."""
