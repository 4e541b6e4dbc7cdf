"""Benchmarks: the GraphQL API against a hand-written raw-SQL endpoint (see README.md)."""
