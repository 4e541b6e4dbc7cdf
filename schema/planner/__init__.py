"""The planned executor: validated query documents run as plans, in one statement or one
batched fetch per level.

graphql-core resolves a document field by field: an awaitable, an `Info` and a permission check
per field of every object. For the lists and relations that make up nearly every CRM screen,
that machinery costs far more than the SQL. This package turns a validated operation once into a
plan (which relation each level reads, which columns each object shows and how they serialize,
which scopes the whole operation needs), caches it like a parsed document, and runs it per
request. Where the database can build JSON (`statement`: PostgreSQL, SQLite 3.39+), the whole
tree is one statement and the database returns the response's `data`; otherwise each level of
the tree is fetched for all its parents through the request's loaders, and the response is
built as plain dicts.

The planner answers exactly what graphql-core would. Whatever it does not cover (mutations,
introspection, computed fields, a missing scope, an argument error) makes `execute` return
None, and the caller runs the operation through graphql-core instead: errors are always
graphql-core's own.
"""

from schema.planner.executor import PlannedExecutor

__all__ = ["PlannedExecutor"]
