"""A cursor that is not one of ours is the caller's mistake, on every connection."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.factories import gid


async def test_kb_articles_for_ticket_with_a_malformed_cursor_is_bad_user_input(
    gql: GraphQLClient, make: Any
) -> None:
    # The cursor of this list is decoded in its loader, where an invalid one used to escape
    # as an internal error.
    ticket = await make.ticket()

    errors = await gql.errors(
        'query($t: ID!) { kbArticlesForTicket(ticketId: $t, after: "garbage") { totalCount } }',
        {"t": gid("Ticket", ticket)},
    )

    assert [e["extensions"] for e in errors] == [{"code": "BAD_USER_INPUT", "argument": "after"}]
