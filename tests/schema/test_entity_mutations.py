"""The rules each entity adds to the shared write path."""

from typing import Any

from tests.factories import gid


async def test_contact_opt_in_records_when_consent_was_given(gql: Any, make: Any) -> None:
    contact = await make.contact()

    data = await gql(
        """mutation($id: ID!) { updateContact(id: $id, input: {marketingOptIn: true, optInSource: "web form"}) {
            contact { marketingOptIn optInAt optInSource } errors { code } } }""",
        {"id": gid("Contact", contact)},
    )

    assert data["updateContact"]["contact"]["optInAt"] is not None
    assert data["updateContact"]["contact"]["optInSource"] == "web form"


async def test_contact_needs_a_name(gql: Any) -> None:
    data = await gql(
        """mutation { createContact(input: {email: "a@b.co"}) { contact { id } errors { code field } } }"""
    )

    assert data["createContact"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "lastName"]}
    ]


async def test_contact_with_invalid_email_is_refused(gql: Any) -> None:
    data = await gql(
        """mutation { createContact(input: {lastName: "Lee", email: "no-at-sign"}) {
            errors { code field message } } }"""
    )

    assert data["createContact"]["errors"] == [
        {
            "code": "VALIDATION",
            "field": ["input", "email"],
            "message": "is not a valid email address",
        }
    ]


async def test_purchase_total_is_the_sum_of_its_lines(gql: Any, make: Any) -> None:
    customer = await make.customer()

    data = await gql(
        """mutation($customer: ID!) { createPurchase(input: {
            customerId: $customer, number: "PO-1", currency: "EUR", orderedAt: "2026-05-01T10:00:00Z",
            lines: [{description: "A", quantity: "3", unitPrice: "19.99"},
                    {description: "B", quantity: "0.5", unitPrice: "100"}]}) {
            purchase { totalAmount lines { nodes { description amount } } } errors { code field } } }""",
        {"customer": gid("Customer", customer)},
    )

    purchase = data["createPurchase"]["purchase"]
    assert purchase["totalAmount"] == "109.97"
    assert purchase["lines"]["nodes"] == [
        {"description": "A", "amount": "59.97"},
        {"description": "B", "amount": "50.00"},
    ]


async def test_purchase_line_with_zero_quantity_is_refused(gql: Any, make: Any) -> None:
    customer = await make.customer()

    data = await gql(
        """mutation($customer: ID!) { createPurchase(input: {
            customerId: $customer, number: "PO-1", currency: "EUR", orderedAt: "2026-05-01T10:00:00Z",
            lines: [{description: "A", quantity: "0", unitPrice: "1"}]}) { errors { code field } } }""",
        {"customer": gid("Customer", customer)},
    )

    assert data["createPurchase"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "lines", "0", "quantity"]}
    ]


async def test_resolving_a_ticket_stamps_resolved_at_and_reopening_clears_it(
    gql: Any, make: Any
) -> None:
    ticket = await make.ticket()
    query = """mutation($id: ID!, $status: TicketStatus!) {
        updateTicket(id: $id, input: {status: $status}) { ticket { status resolvedAt } errors { code } } }"""

    resolved = await gql(query, {"id": gid("Ticket", ticket), "status": "RESOLVED"})
    reopened = await gql(query, {"id": gid("Ticket", ticket), "status": "OPEN"})

    assert resolved["updateTicket"]["ticket"]["resolvedAt"] is not None
    assert reopened["updateTicket"]["ticket"] == {"status": "OPEN", "resolvedAt": None}


async def test_ticket_for_a_contact_belongs_to_the_contacts_customer(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme")
    contact = await make.contact(customer_id=customer.id)

    data = await gql(
        """mutation($contact: ID!) { createTicket(input: {subject: "Help", contactId: $contact}) {
            ticket { customer { name } } } }""",
        {"contact": gid("Contact", contact)},
    )

    assert data["createTicket"]["ticket"]["customer"] == {"name": "Acme"}


async def test_campaign_ending_before_it_starts_is_refused(gql: Any) -> None:
    data = await gql(
        """mutation { createCampaign(input: {name: "Q1", channel: EMAIL, startsOn: "2026-03-01",
            endsOn: "2026-02-01"}) { errors { code field } } }"""
    )

    assert data["createCampaign"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "endsOn"]}
    ]


async def test_adding_a_contact_to_a_campaign_twice_is_a_duplicate(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    contact = await make.contact(marketing_opt_in=True)
    query = """mutation($c: ID!, $p: ID!) { createCampaignMember(input: {campaignId: $c, contactId: $p}) {
        campaignMember { status } errors { code } } }"""
    variables = {"c": gid("Campaign", campaign), "p": gid("Contact", contact)}

    first = await gql(query, variables)
    second = await gql(query, variables)

    assert first["createCampaignMember"] == {"campaignMember": {"status": "TARGETED"}, "errors": []}
    assert second["createCampaignMember"]["errors"] == [{"code": "DUPLICATE"}]


async def test_member_responding_records_when(gql: Any, make: Any) -> None:
    member = await make.member(
        campaign_id=(await make.campaign()).id,
        contact_id=(await make.contact(marketing_opt_in=True)).id,
    )

    data = await gql(
        """mutation($id: ID!) { updateCampaignMember(id: $id, input: {status: RESPONDED}) {
            campaignMember { status respondedAt } } }""",
        {"id": gid("CampaignMember", member)},
    )

    assert data["updateCampaignMember"]["campaignMember"]["respondedAt"] is not None


async def test_interaction_needs_a_customer_or_a_contact(gql: Any) -> None:
    data = await gql(
        """mutation { createInteraction(input: {kind: CALL, occurredAt: "2026-01-01T09:00:00Z",
            subject: "Hi"}) { errors { code field } } }"""
    )

    assert data["createInteraction"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "customerId"]}
    ]


async def test_interaction_with_a_contact_counts_for_its_customer(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme")
    contact = await make.contact(customer_id=customer.id)

    await gql(
        """mutation($p: ID!) { createInteraction(input: {kind: MEETING, occurredAt: "2026-01-01T09:00:00Z",
            subject: "Kick-off", contactId: $p}) { errors { code } } }""",
        {"p": gid("Contact", contact)},
    )
    data = await gql("{ customers { nodes { interactions { nodes { subject } } } } }")

    assert data["customers"]["nodes"][0]["interactions"]["nodes"] == [{"subject": "Kick-off"}]


async def test_comment_can_be_deleted_and_restored(gql: Any, make: Any) -> None:
    comment = await make.comment(ticket_id=(await make.ticket()).id)

    deleted = await gql(
        "mutation($id: ID!) { deleteTicketComment(id: $id) { errors { code } } }",
        {"id": gid("TicketComment", comment)},
    )
    listed = await gql("{ tickets { nodes { comments { totalCount } } } }")

    assert deleted["deleteTicketComment"]["errors"] == []
    assert listed["tickets"]["nodes"][0]["comments"]["totalCount"] == 0
