"""The filter language's guarantees over the whole graph: every relation filter carries the
visibility of the rows it reaches, and what is masked can be neither filtered nor ordered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import ColumnElement, literal_column, true

from kernel.filtering import FilterAccess, ForbiddenFilterError, compile_filter
from kernel.permissions import READ_SCOPES
from resolvers.graph import ORDERINGS, SPECS

RELATIONS = sorted((type_key, name) for type_key, spec in SPECS.items() for name in spec.relations)


def _marking(table_name: str) -> ColumnElement[bool]:
    """A condition that names the table whose visibility was asked for."""
    return literal_column(f"visible_{table_name}").is_(true())


def _access(personal_data: bool = True, missing: str | None = None) -> FilterAccess:
    return FilterAccess(
        visible=_marking,
        personal_data=personal_data,
        missing_scope=lambda type_key: missing if type_key == "deal" else None,
    )


def _relation_filter(type_key: str, name: str) -> dict[str, Any]:
    return {name: {"some": {}} if SPECS[type_key].relations[name].many else {}}


@pytest.mark.parametrize(("type_key", "name"), RELATIONS)
def test_every_relation_filter_carries_the_visibility_of_the_rows_it_reaches(
    type_key: str, name: str
) -> None:
    target = SPECS[type_key].relations[name].target()

    condition = compile_filter(SPECS[type_key], _relation_filter(type_key, name), _access())

    assert f"visible_{target.table.name}" in str(condition)


@pytest.mark.parametrize(("type_key", "name"), RELATIONS)
def test_every_relation_filter_names_a_type_with_a_read_scope(type_key: str, name: str) -> None:
    assert SPECS[type_key].relations[name].type_key in READ_SCOPES


def test_every_type_of_the_graph_has_a_read_scope() -> None:
    assert set(SPECS) <= set(READ_SCOPES)


@pytest.mark.parametrize("type_key", sorted(SPECS))
def test_no_personal_field_is_orderable(type_key: str) -> None:
    assert not SPECS[type_key].personal & set(ORDERINGS.get(type_key, {}))


@pytest.mark.parametrize("field", sorted(SPECS["contact"].personal))
def test_contact_personal_field_without_personal_data_access_raises_at_its_path(
    field: str,
) -> None:
    with pytest.raises(ForbiddenFilterError) as raised:
        compile_filter(
            SPECS["customer"],
            {"contacts": {"some": {"and_": [{field: {"eq": "x"}}]}}},
            _access(personal_data=False),
        )

    assert raised.value.path == ("filter", "contacts", "some", "and_", "0", field)
    assert raised.value.scope == "pii:read"


def test_relation_into_an_unreadable_type_raises_with_the_missing_scope() -> None:
    with pytest.raises(ForbiddenFilterError) as raised:
        compile_filter(
            SPECS["customer"],
            {"deals": {"none": {"name": {"eq": "x"}}}},
            _access(missing="deals:read"),
        )

    assert (raised.value.path, raised.value.scope) == (("filter", "deals"), "deals:read")


def test_searching_without_personal_data_access_skips_personal_columns() -> None:
    columns = SPECS["contact"].search_columns(personal_data=False)

    assert [column.key for column in columns] == ["first_name", "last_name"]


def test_the_system_filters_on_personal_data() -> None:
    condition = compile_filter(SPECS["contact"], {"email": {"eq": "p@example.com"}})

    assert "contacts.email" in str(condition)
