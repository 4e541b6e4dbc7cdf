"""Bulk import and export of records from and to CSV and JSON Lines files."""
