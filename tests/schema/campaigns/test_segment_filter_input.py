"""A segment's filter is JSON: anything but an object (a filter) is refused."""

from typing import Any

import pytest

CREATE = """mutation($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateSegmentInput!) {
  updateSegment(id: $id, input: $input) { segment { id } errors { code field } } }"""


@pytest.mark.parametrize("value", [7, True, "x", [["a"]]])
async def test_refiltering_a_segment_with_a_filter_that_is_no_object_is_refused(
    gql: Any, value: Any
) -> None:
    # The update read the new filter before checking it was an object: an internal error.
    created = await gql(CREATE, {"input": {"name": "Lees", "entityType": "CONTACT", "filter": {}}})
    segment_id = created["createSegment"]["segment"]["id"]

    data = await gql(UPDATE, {"id": segment_id, "input": {"filter": value}})

    assert data["updateSegment"] == {
        "segment": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "filter"]}],
    }
