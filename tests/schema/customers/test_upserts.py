"""Batch upserts by external id: per-record results, each record all or nothing."""

from typing import Any

UPSERT = """
mutation Upsert($inputs: [CreateCustomerInput!]!) {
  upsertCustomers(inputs: $inputs) {
    index created customer { name externalId version } errors { code field }
  }
}
"""


async def test_upsert_creates_new_records_and_updates_known_ones(gql: Any, make: Any) -> None:
    await make.customer(name="Old name", external_id="ERP-1")

    data = await gql(
        UPSERT,
        {
            "inputs": [
                {"name": "New name", "externalId": "ERP-1"},
                {"name": "Fresh", "externalId": "ERP-2"},
            ]
        },
    )

    assert data["upsertCustomers"] == [
        {
            "index": 0,
            "created": False,
            "errors": [],
            "customer": {"name": "New name", "externalId": "ERP-1", "version": 2},
        },
        {
            "index": 1,
            "created": True,
            "errors": [],
            "customer": {"name": "Fresh", "externalId": "ERP-2", "version": 1},
        },
    ]


async def test_a_rejected_record_does_not_block_the_others(gql: Any) -> None:
    data = await gql(
        UPSERT,
        {
            "inputs": [
                {"name": "Good", "externalId": "ERP-1"},
                {"name": "Bad", "externalId": "ERP-2", "domain": "nope"},
                {"name": "No external id"},
            ]
        },
    )
    listed = await gql("{ customers { nodes { externalId } } }")

    results = data["upsertCustomers"]
    assert [r["customer"] is not None for r in results] == [True, False, False]
    assert results[1]["errors"] == [{"code": "VALIDATION", "field": ["inputs", "1", "domain"]}]
    assert results[2]["errors"][0]["code"] == "VALIDATION"
    assert listed["customers"]["nodes"] == [{"externalId": "ERP-1"}]


async def test_more_than_one_hundred_records_are_refused_whole(gql: Any) -> None:
    inputs = [{"name": f"C{n}", "externalId": f"E{n}"} for n in range(101)]

    data = await gql(UPSERT, {"inputs": inputs})
    listed = await gql("{ customers { totalCount } }")

    assert data["upsertCustomers"][0]["errors"] == [{"code": "LIMIT_EXCEEDED", "field": ["inputs"]}]
    assert listed["customers"]["totalCount"] == 0


async def test_a_record_with_a_malformed_id_is_refused_at_its_field(gql: Any) -> None:
    data = await gql(
        UPSERT,
        {
            "inputs": [
                {"name": "Bad owner", "externalId": "ERP-1", "ownerId": "garbage"},
                {"name": "Fine", "externalId": "ERP-2"},
            ]
        },
    )

    assert [(r["index"], r["errors"], r["customer"] is None) for r in data["upsertCustomers"]] == [
        (0, [{"code": "VALIDATION", "field": ["inputs", "0", "ownerId"]}], True),
        (1, [], False),
    ]
