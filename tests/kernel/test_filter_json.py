"""The JSON filter codec: what it reads, what it refuses and where, and writing back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kernel.errors import ErrorCode, ServiceError
from kernel.filter_json import InvalidFilterError, encode_filter
from kernel.filtering import ForbiddenFilterError
from kernel.ids import encode_id
from kernel.principal import Principal, PrincipalKind
from kernel.repository import authorize_filter
from models import LifecycleStage
from resolvers.bulk.export_filters import filter_from_json
from resolvers.campaigns.automation.conditions import conditions_filter
from resolvers.campaigns.segment_filters import read_segment_filter
from resolvers.filter_inputs import FILTER_INPUTS, read_filter
from resolvers.graph import SPECS

ROW = uuid.UUID("0b6f3f8e-7c57-4c4f-9a39-4f1f7f0c2a10")
READ_ONLY = Principal(subject="reader", kind=PrincipalKind.OPERATOR, role="read_only")


def _problems(type_key: str, value: Any) -> list[tuple[str, tuple[str, ...]]]:
    with pytest.raises(InvalidFilterError) as caught:
        read_filter(type_key, value)
    return [(problem.message, problem.path) for problem in caught.value.problems]


def test_read_gives_filter_keys_and_python_values() -> None:
    value = {
        "lifecycleStage": {"in": ["LEAD", "CUSTOMER"]},
        "ownerId": {"eq": encode_id("User", ROW)},
        "createdAt": {"gte": "2026-01-02T03:04:05Z"},
        "name": {"startsWith": "Ac", "isNull": False},
    }

    assert read_filter("customer", value) == {
        "lifecycle_stage": {"in_": [LifecycleStage.LEAD, LifecycleStage.CUSTOMER]},
        "owner_id": {"eq": ROW},
        "created_at": {"gte": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        "name": {"starts_with": "Ac", "is_null": False},
    }


def test_read_takes_a_single_value_for_a_list() -> None:
    assert read_filter("deal", {"amount": {"notIn": "12.50"}, "and": {"name": {"eq": "x"}}}) == {
        "amount": {"not_in": [Decimal("12.50")]},
        "and_": [{"name": {"eq": "x"}}],
    }


def test_read_keeps_nulls_that_the_filter_input_allows() -> None:
    assert read_filter("contact", {"email": {"eq": None}, "customer": None, "or": None}) == {
        "email": {"eq": None},
        "customer": None,
        "or_": None,
    }


def test_read_follows_to_many_relations_with_some_and_none() -> None:
    value = {"deals": {"some": {"expectedCloseDate": {"lt": "2026-03-01"}}, "none": None}}

    assert read_filter("customer", value) == {
        "deals": {"some": {"expected_close_date": {"lt": date(2026, 3, 1)}}, "none": None}
    }


def test_an_unknown_field_is_refused_at_its_path() -> None:
    problems = _problems("contact", {"customer": {"city": {"equals": "Berlin"}}})

    assert [path for _, path in problems] == [("customer", "city", "equals")]
    assert "not 'equals'" in problems[0][0]


def test_an_operator_the_kind_lacks_is_refused() -> None:
    # A boolean has no `contains`, an encrypted phone no `startsWith`.
    problems = _problems(
        "contact", {"marketingOptIn": {"contains": "y"}, "phone": {"startsWith": "+49"}}
    )

    assert [path for _, path in problems] == [
        ("marketingOptIn", "contains"),
        ("phone", "startsWith"),
    ]


def test_every_badly_typed_value_is_refused_at_its_path() -> None:
    value = {
        "employees": {"gt": 1.5},
        "name": {"in": ["a", 7]},
        "lifecycleStage": {"eq": "lead"},
        "ownerId": {"eq": "not-an-id"},
        "createdAt": {"lt": "2026-01-01T00:00:00"},
        "not": {"deletedAt": {"isNull": "yes"}},
    }

    assert [path for _, path in _problems("customer", value)] == [
        ("employees", "gt"),
        ("name", "in", "1"),
        ("lifecycleStage", "eq"),
        ("ownerId", "eq"),
        ("createdAt", "lt"),
        ("not", "deletedAt", "isNull"),
    ]


def test_a_time_without_a_zone_is_refused() -> None:
    problems = _problems("ticket", {"resolvedAt": {"gt": "2026-01-01T10:00"}})

    assert problems == [("2026-01-01T10:00:00 has no time zone", ("resolvedAt", "gt"))]


def test_a_relation_the_filter_input_does_not_offer_is_refused() -> None:
    # SegmentFilter has no `owner`, though the segment's FilterSpec could follow it.
    assert [path for _, path in _problems("segment", {"owner": {}})] == [("owner",)]


def test_combinators_are_refused_where_the_filter_input_has_none() -> None:
    assert [path for _, path in _problems("stage", {"or": []})] == [("or",)]


def test_a_filter_that_is_no_object_is_refused() -> None:
    assert [path for _, path in _problems("deal", ["name"])] == [()]


def test_encode_writes_what_read_gives_back() -> None:
    filter_ = {
        "lifecycle_stage": {"ne": LifecycleStage.LEAD, "is_null": False},
        "owner_id": {"in_": [ROW]},
        "created_at": {"lt": datetime(2026, 1, 2, tzinfo=UTC)},
        "employees": {"gte": 10},
        "or_": [{"name": {"contains": "x"}}, {"not_": {"country": {"eq": None}}}],
        "deals": {"some": {"amount": {"gt": Decimal("9.99")}}, "none": None},
        "owner": {"team": {"name": {"eq": "EMEA"}}},
    }

    encoded = encode_filter(FILTER_INPUTS, "customer", filter_)

    assert encoded["ownerId"] == {"in": [encode_id("Customer", ROW)]}
    assert read_filter("customer", encoded) == filter_


def test_a_segment_filter_problem_is_a_validation_error_at_the_unknown_name() -> None:
    with pytest.raises(ServiceError) as caught:
        read_segment_filter("contact", {"nme": {"eq": "x"}})

    assert [(e.code, e.field) for e in caught.value.errors] == [
        (ErrorCode.VALIDATION, ("filter", "nme"))
    ]


def test_a_condition_problem_is_a_validation_error_at_the_object_with_the_unknown_name() -> None:
    with pytest.raises(ServiceError) as caught:
        conditions_filter("contact", {"firstName": {"eqq": "Ada"}, "createdAt": {"gt": "x"}})

    assert [(e.code, e.field) for e in caught.value.errors] == [
        (ErrorCode.VALIDATION, ("conditions", "firstName")),
        (ErrorCode.VALIDATION, ("conditions", "createdAt", "gt")),
    ]


def test_conditions_of_a_type_without_a_filter_input_are_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        conditions_filter("event", {"type": {"eq": "x"}})

    assert caught.value.errors[0].message == "event events take no conditions"


def test_an_export_filter_problem_is_a_value_error_naming_the_path() -> None:
    with pytest.raises(ValueError, match=r"^invalid filter: owner\.name\.eq: expected a String"):
        filter_from_json("customers", {"owner": {"name": {"eq": 3}}})


def test_an_empty_export_filter_is_none() -> None:
    assert filter_from_json("deals", {}) is None


def test_a_read_filter_on_personal_data_is_still_forbidden_without_pii_read() -> None:
    filter_ = read_filter(
        "contact", {"or": [{"lastName": None}, {"not": {"email": {"eq": "a@b"}}}]}
    )

    with pytest.raises(ForbiddenFilterError) as caught:
        authorize_filter(SPECS["contact"], filter_, READ_ONLY)

    assert caught.value.path == ("filter", "or_", "1", "not_", "email")
