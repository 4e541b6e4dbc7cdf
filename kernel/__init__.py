"""The kernel every domain builds on: principal, permissions, visibility, errors, the filter
language, pagination and cursors, the unit of work, the outbox and the audit log.

Imports no domain."""
