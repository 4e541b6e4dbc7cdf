"""Inbound connectors for ERP, HRM and partner systems (see the connectors issue)."""
