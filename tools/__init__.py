"""Security tooling run by make targets (`make fuzz`, `make audit`); not imported by the app."""
