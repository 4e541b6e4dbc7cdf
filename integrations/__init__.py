"""Connectors that keep ERP, HRM and partner systems in sync with the CRM, inbound."""
