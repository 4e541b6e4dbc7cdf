"""Every relation of the graph, read both ways."""

from typing import Any

from tests.factories import gid


async def _graph(make: Any) -> dict[str, Any]:
    """A customer with one of everything around it."""
    team = await make.team(name="EMEA")
    owner = await make.user(name="Olivia", team_id=team.id)
    _, stages = await make.pipeline()
    customer = await make.customer(name="Acme", owner_id=owner.id)
    contact = await make.contact(
        customer_id=customer.id, last_name="Lee", owner_id=owner.id, marketing_opt_in=True
    )
    campaign = await make.campaign(name="Spring")
    member = await make.member(campaign_id=campaign.id, contact_id=contact.id)
    deal = await make.deal(
        name="Big",
        customer_id=customer.id,
        contact_id=contact.id,
        owner_id=owner.id,
        campaign_id=campaign.id,
        stage_id=stages[1].id,
    )
    ticket = await make.ticket(
        subject="Help", customer_id=customer.id, contact_id=contact.id, assignee_id=owner.id
    )
    await make.comment(ticket_id=ticket.id, body="On it")
    await make.interaction(customer_id=customer.id, contact_id=contact.id, subject="Call")
    await make.purchase(customer_id=customer.id, number="PO-7")
    return {
        "customer": customer,
        "contact": contact,
        "deal": deal,
        "ticket": ticket,
        "campaign": campaign,
        "member": member,
        "team": team,
    }


async def test_customer_reaches_all_its_records(gql: Any, make: Any) -> None:
    graph = await _graph(make)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Customer {
            owner { name team { name users { nodes { name } } } }
            contacts { nodes { lastName } }
            deals { nodes { name } }
            tickets { nodes { subject } }
            interactions { nodes { subject } }
            purchases { nodes { number lines { totalCount } } }
            campaigns { nodes { name } }
        } } }""",
        {"id": gid("Customer", graph["customer"])},
    )

    assert data["node"] == {
        "owner": {
            "name": "Olivia",
            "team": {"name": "EMEA", "users": {"nodes": [{"name": "Olivia"}]}},
        },
        "contacts": {"nodes": [{"lastName": "Lee"}]},
        "deals": {"nodes": [{"name": "Big"}]},
        "tickets": {"nodes": [{"subject": "Help"}]},
        "interactions": {"nodes": [{"subject": "Call"}]},
        "purchases": {"nodes": [{"number": "PO-7", "lines": {"totalCount": 1}}]},
        "campaigns": {"nodes": [{"name": "Spring"}]},
    }


async def test_contact_reaches_its_customer_and_records(gql: Any, make: Any) -> None:
    graph = await _graph(make)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Contact {
            customer { name } owner { name }
            deals { nodes { name } } tickets { nodes { subject } }
            interactions { nodes { subject } }
            campaignMemberships { nodes { status campaign { name } } }
        } } }""",
        {"id": gid("Contact", graph["contact"])},
    )

    assert data["node"] == {
        "customer": {"name": "Acme"},
        "owner": {"name": "Olivia"},
        "deals": {"nodes": [{"name": "Big"}]},
        "tickets": {"nodes": [{"subject": "Help"}]},
        "interactions": {"nodes": [{"subject": "Call"}]},
        "campaignMemberships": {"nodes": [{"status": "TARGETED", "campaign": {"name": "Spring"}}]},
    }


async def test_deal_reaches_customer_contact_stage_owner_campaign_and_history(
    gql: Any, make: Any
) -> None:
    graph = await _graph(make)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Deal {
            customer { name } contact { lastName } stage { name pipeline { name } }
            owner { name } campaign { name } history { nodes { toStage { name } } }
        } } }""",
        {"id": gid("Deal", graph["deal"])},
    )

    node = data["node"]
    assert node["customer"] == {"name": "Acme"}
    assert node["contact"] == {"lastName": "Lee"}
    assert node["stage"]["name"] == "Proposal"
    assert node["owner"] == {"name": "Olivia"}
    assert node["campaign"] == {"name": "Spring"}
    assert node["history"]["nodes"] == [{"toStage": {"name": "Proposal"}}]


async def test_campaign_reaches_members_and_attributed_deals(gql: Any, make: Any) -> None:
    graph = await _graph(make)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Campaign {
            members { nodes { contact { lastName } } } deals { nodes { name } }
        } } }""",
        {"id": gid("Campaign", graph["campaign"])},
    )

    assert data["node"] == {
        "members": {"nodes": [{"contact": {"lastName": "Lee"}}]},
        "deals": {"nodes": [{"name": "Big"}]},
    }


async def test_ticket_reaches_customer_contact_assignee_and_comments(gql: Any, make: Any) -> None:
    graph = await _graph(make)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Ticket {
            customer { name } contact { lastName } assignee { name }
            comments { nodes { body ticket { subject } } }
        } } }""",
        {"id": gid("Ticket", graph["ticket"])},
    )

    assert data["node"] == {
        "customer": {"name": "Acme"},
        "contact": {"lastName": "Lee"},
        "assignee": {"name": "Olivia"},
        "comments": {"nodes": [{"body": "On it", "ticket": {"subject": "Help"}}]},
    }


async def test_deleted_children_are_left_out_of_nested_lists(gql: Any, make: Any) -> None:
    graph = await _graph(make)
    await gql(
        "mutation($id: ID!) { deleteContact(id: $id) { errors { code } } }",
        {"id": gid("Contact", graph["contact"])},
    )

    data = await gql(
        "{ customers { nodes { contacts { totalCount nodes { lastName } } campaigns { totalCount } } } }"
    )

    assert data["customers"]["nodes"] == [
        {"contacts": {"totalCount": 0, "nodes": []}, "campaigns": {"totalCount": 0}}
    ]
