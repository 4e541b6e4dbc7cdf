"""Business calendars, SLA policies and team assignment through GraphQL (service:manage)."""

from typing import Any

import httpx

from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient
from tests.factories import gid

CREATE_CALENDAR = """
mutation($i: CreateBusinessCalendarInput!) {
  createBusinessCalendar(input: $i) {
    businessCalendar { id name timeZone workingHours { weekday start end } holidays }
    errors { code field message }
  }
}
"""
CREATE_POLICY = """
mutation($i: CreateSlaPolicyInput!) {
  createSlaPolicy(input: $i) {
    slaPolicy { id name customerTier active calendar { name }
                targets { priority firstResponseMinutes resolutionMinutes } }
    errors { code field message }
  }
}
"""
BERLIN = {
    "name": "Berlin office",
    "timeZone": "Europe/Berlin",
    "workingHours": [
        {"weekday": 1, "start": "09:00", "end": "17:00"},
        {"weekday": 0, "start": "09:00", "end": "17:00"},
    ],
    "holidays": ["2026-12-25"],
}


def _support(http: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
    principal = Principal(subject="sam", kind=PrincipalKind.OPERATOR, role="support")
    return GraphQLClient(http, issue_token(settings, principal))


async def test_a_calendar_is_created_with_sorted_hours(gql: GraphQLClient) -> None:
    result = (await gql(CREATE_CALENDAR, {"i": BERLIN}))["createBusinessCalendar"]

    assert result["errors"] == []
    assert result["businessCalendar"]["workingHours"] == [
        {"weekday": 0, "start": "09:00", "end": "17:00"},
        {"weekday": 1, "start": "09:00", "end": "17:00"},
    ]
    assert result["businessCalendar"]["holidays"] == ["2026-12-25"]


async def test_an_unknown_time_zone_is_refused_at_its_field(gql: GraphQLClient) -> None:
    result = await gql(CREATE_CALENDAR, {"i": {**BERLIN, "timeZone": "Europe/Atlantis"}})

    [error] = result["createBusinessCalendar"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "timeZone"])


async def test_overlapping_hours_are_refused(gql: GraphQLClient) -> None:
    hours = [
        {"weekday": 0, "start": "09:00", "end": "13:00"},
        {"weekday": 0, "start": "12:00", "end": "17:00"},
    ]

    result = await gql(CREATE_CALENDAR, {"i": {**BERLIN, "workingHours": hours}})

    [error] = result["createBusinessCalendar"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "workingHours"])


async def test_a_policy_has_targets_per_priority_and_a_calendar(gql: GraphQLClient) -> None:
    calendar = (await gql(CREATE_CALENDAR, {"i": BERLIN}))["createBusinessCalendar"]
    targets = [
        {"priority": "URGENT", "firstResponseMinutes": 30, "resolutionMinutes": 240},
        {"priority": "NORMAL", "firstResponseMinutes": 240},
    ]
    policy = {
        "name": "Gold",
        "customerTier": "gold",
        "calendarId": calendar["businessCalendar"]["id"],
        "targets": targets,
    }

    result = (await gql(CREATE_POLICY, {"i": policy}))["createSlaPolicy"]

    assert result["errors"] == []
    assert result["slaPolicy"]["calendar"] == {"name": "Berlin office"}
    assert result["slaPolicy"]["targets"] == [
        {"priority": "NORMAL", "firstResponseMinutes": 240, "resolutionMinutes": None},
        {"priority": "URGENT", "firstResponseMinutes": 30, "resolutionMinutes": 240},
    ]


async def test_updating_targets_replaces_them(gql: GraphQLClient) -> None:
    created = await gql(
        CREATE_POLICY,
        {"i": {"name": "Default", "targets": [{"priority": "LOW", "resolutionMinutes": 9000}]}},
    )
    policy_id = created["createSlaPolicy"]["slaPolicy"]["id"]

    updated = await gql(
        """mutation($id: ID!) { updateSlaPolicy(id: $id, input: {targets: [{priority: HIGH, firstResponseMinutes: 60}]}) {
             slaPolicy { version targets { priority firstResponseMinutes } } errors { code } } }""",
        {"id": policy_id},
    )

    assert updated["updateSlaPolicy"]["slaPolicy"] == {
        "version": 2,
        "targets": [{"priority": "HIGH", "firstResponseMinutes": 60}],
    }


async def test_two_targets_for_one_priority_are_refused(gql: GraphQLClient) -> None:
    targets = [
        {"priority": "LOW", "resolutionMinutes": 60},
        {"priority": "LOW", "resolutionMinutes": 90},
    ]

    result = await gql(CREATE_POLICY, {"i": {"name": "Twice", "targets": targets}})

    [error] = result["createSlaPolicy"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "targets"])


async def test_a_calendar_in_use_cannot_be_deleted_until_its_policy_lets_go(
    gql: GraphQLClient,
) -> None:
    calendar = (await gql(CREATE_CALENDAR, {"i": BERLIN}))["createBusinessCalendar"][
        "businessCalendar"
    ]
    policy = (await gql(CREATE_POLICY, {"i": {"name": "P", "calendarId": calendar["id"]}}))[
        "createSlaPolicy"
    ]["slaPolicy"]
    delete = "mutation($id: ID!) { deleteBusinessCalendar(id: $id) { businessCalendar { name } errors { code field } } }"

    refused = (await gql(delete, {"id": calendar["id"]}))["deleteBusinessCalendar"]
    await gql(
        "mutation($id: ID!) { updateSlaPolicy(id: $id, input: {calendarId: null}) { errors { code } } }",
        {"id": policy["id"]},
    )
    deleted = (await gql(delete, {"id": calendar["id"]}))["deleteBusinessCalendar"]

    assert refused["errors"] == [{"code": "INVALID_STATE", "field": ["id"]}]
    assert deleted == {"businessCalendar": {"name": "Berlin office"}, "errors": []}
    assert (await gql("{ businessCalendars { totalCount } }"))["businessCalendars"][
        "totalCount"
    ] == 0


async def test_support_agents_read_policies_but_cannot_change_them(
    gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings
) -> None:
    await gql(CREATE_POLICY, {"i": {"name": "Default"}})
    support = _support(http, settings)

    listed = await support("{ slaPolicies { nodes { name } } }")
    errors = await support.errors(CREATE_POLICY, {"i": {"name": "Mine"}})

    assert listed["slaPolicies"]["nodes"] == [{"name": "Default"}]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_team_is_set_to_round_robin(gql: GraphQLClient, make: Any) -> None:
    team = await make.team()

    result = await gql(
        "mutation($t: ID!) { setTeamTicketAssignment(teamId: $t, mode: ROUND_ROBIN) { team { name ticketAssignment } errors { code } } }",
        {"t": gid("Team", team)},
    )

    assert result["setTeamTicketAssignment"] == {
        "team": {"name": team.name, "ticketAssignment": "ROUND_ROBIN"},
        "errors": [],
    }
