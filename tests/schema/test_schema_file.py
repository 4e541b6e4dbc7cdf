"""`schema.graphql` is generated from the code and checked in: clients generate from it."""

from schema.export import sdl
from tests.conftest import ROOT


def test_checked_in_schema_matches_the_code() -> None:
    checked_in = (ROOT / "schema.graphql").read_text()

    assert checked_in == sdl(), "schema.graphql is stale: run `make schema` and commit it"


def test_every_object_type_has_a_description() -> None:
    from schema import schema

    undocumented = [
        name
        for name, graphql_type in schema._schema.type_map.items()
        if not name.startswith("__")
        and name not in ("Query", "Mutation", "Boolean", "String", "Int", "Float", "ID")
        and hasattr(graphql_type, "fields")
        and not graphql_type.description
    ]

    assert undocumented == []
