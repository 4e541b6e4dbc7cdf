"""The users domain: employees and teams, synced from the HRM."""
