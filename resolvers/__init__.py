"""Domain services, one package per domain (the same names as in models/ and schema/): validation,
authorization and writes over the kernel; `graph` composes the queryable fields of every type."""
