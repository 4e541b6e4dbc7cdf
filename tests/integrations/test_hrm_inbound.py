"""The HRM connector: employees become users; a departure deactivates the user, refuses their
tokens and hands their open work to their manager (or the fallback owner)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import Customer, Deal, Event, Team, Ticket, User
from tests.integrations.conftest import Sender

users = table_of(User)


def employee(source_id: str, email: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "employee",
        "id": source_id,
        "updated_at": data.pop("updated_at", "2026-11-01T00:00:00Z"),
        "data": {"email": email, "name": email.split("@")[0].title(), **data},
    }


async def user_by_email(session_factory: Any, email: str) -> Any:
    async with session_factory() as session:
        return (await session.execute(select(users).where(users.c.email == email))).one()


async def hrm(connect: Any) -> Any:
    return await connect(
        "hrm",
        settings={"role_map": {"AE": "sales_rep", "Head of Sales": "sales_manager"}},
    )


async def test_employees_become_users_with_team_manager_and_mapped_role(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await hrm(connect)

    results = await sender.results(
        connection,
        secret,
        [
            employee("E-1", "boss@example.com", role="Head of Sales", team="Sales"),
            employee(
                "E-2", "rep@example.com", role="AE", team="Sales", manager_id="E-1", title="AE"
            ),
            employee("E-3", "intern@example.com", role="Intern"),
        ],
    )

    assert [r["outcome"] for r in results] == ["applied"] * 3
    boss = await user_by_email(session_factory, "boss@example.com")
    rep = await user_by_email(session_factory, "rep@example.com")
    intern = await user_by_email(session_factory, "intern@example.com")
    assert (boss.role, rep.role, intern.role) == ("sales_manager", "sales_rep", "read_only")
    assert rep.manager_id == boss.id
    assert rep.team_id == boss.team_id is not None
    assert rep.title == "AE"
    async with session_factory() as session:
        assert (await session.execute(select(table_of(Team).c.name))).scalars().all() == ["Sales"]


async def test_existing_user_is_linked_by_email(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    existing = await make.user(email="ann@example.com", name="Ann")
    connection, secret = await hrm(connect)

    results = await sender.results(
        connection, secret, [employee("E-7", "ann@example.com", title="CFO")]
    )

    assert results[0]["entity_id"] == str(existing.id)
    assert (await user_by_email(session_factory, "ann@example.com")).title == "CFO"


async def test_departure_reassigns_open_work_to_the_manager(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    connection, secret = await hrm(connect)
    await sender.results(
        connection,
        secret,
        [employee("E-1", "boss@example.com"), employee("E-2", "rep@example.com", manager_id="E-1")],
    )
    boss = await user_by_email(session_factory, "boss@example.com")
    rep = await user_by_email(session_factory, "rep@example.com")
    _, stages = await make.pipeline()
    customer = await make.customer(owner_id=rep.id)
    open_deal = await make.deal(customer_id=customer.id, owner_id=rep.id, stage_id=stages[0].id)
    won_deal = await make.deal(customer_id=customer.id, owner_id=rep.id, stage_id=stages[2].id)
    open_ticket = await make.ticket(customer_id=customer.id, assignee_id=rep.id)
    solved_ticket = await make.ticket(
        customer_id=customer.id, assignee_id=rep.id, status="resolved"
    )

    results = await sender.results(
        connection,
        secret,
        [
            employee(
                "E-2",
                "rep@example.com",
                manager_id="E-1",
                status="departed",
                updated_at="2026-11-02T00:00:00Z",
            )
        ],
    )

    assert results[0]["outcome"] == "applied"
    assert (await user_by_email(session_factory, "rep@example.com")).active is False
    async with session_factory() as session:
        deal_owners = dict(
            (await session.execute(select(table_of(Deal).c.id, table_of(Deal).c.owner_id))).all()
        )
        assignees = dict(
            (
                await session.execute(select(table_of(Ticket).c.id, table_of(Ticket).c.assignee_id))
            ).all()
        )
        kinds = (
            (
                await session.execute(
                    select(table_of(Event).c.type).order_by(table_of(Event).c.position)
                )
            )
            .scalars()
            .all()
        )
    assert deal_owners == {open_deal.id: boss.id, won_deal.id: rep.id}
    assert assignees == {open_ticket.id: boss.id, solved_ticket.id: rep.id}
    assert "user.deactivated" in kinds
    assert "deal.updated" in kinds
    assert "ticket.assigned" in kinds
    async with session_factory() as session:
        owner = await session.scalar(select(table_of(Customer).c.owner_id))
    assert owner == boss.id


async def test_departure_without_manager_goes_to_the_fallback_owner(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    fallback = await make.user(email="desk@example.com", name="Desk")
    connection, secret = await connect("hrm", settings={"fallback_owner_email": "desk@example.com"})
    await sender.results(connection, secret, [employee("E-2", "rep@example.com")])
    rep = await user_by_email(session_factory, "rep@example.com")
    customer = await make.customer(owner_id=rep.id)

    await sender.results(
        connection,
        secret,
        [employee("E-2", "rep@example.com", status="departed", updated_at="2026-11-02T00:00:00Z")],
    )

    async with session_factory() as session:
        owner = await session.scalar(
            select(table_of(Customer).c.owner_id).where(table_of(Customer).c.id == customer.id)
        )
    assert owner == fallback.id


async def test_departed_users_tokens_are_refused(
    connect: Any, sender: Sender, session_factory: Any, settings: Settings, http: httpx.AsyncClient
) -> None:
    connection, secret = await hrm(connect)
    await sender.results(connection, secret, [employee("E-2", "rep@example.com", role="AE")])
    rep = await user_by_email(session_factory, "rep@example.com")
    token = issue_token(
        settings,
        Principal(subject=rep.email, kind=PrincipalKind.USER, role="sales_rep", user_id=rep.id),
    )
    query = {"query": "{ customers { totalCount } }"}
    before = await http.post("/graphql", json=query, headers={"authorization": f"Bearer {token}"})

    await sender.results(
        connection,
        secret,
        [employee("E-2", "rep@example.com", status="departed", updated_at="2026-11-02T00:00:00Z")],
    )
    after = await http.post("/graphql", json=query, headers={"authorization": f"Bearer {token}"})

    assert before.status_code == 200
    assert after.status_code == 401


async def test_departure_with_the_email_in_other_case_still_reassigns(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    connection, secret = await hrm(connect)
    await sender.results(
        connection,
        secret,
        [employee("E-1", "boss@example.com"), employee("E-2", "rep@example.com", manager_id="E-1")],
    )
    rep = await user_by_email(session_factory, "rep@example.com")
    customer = await make.customer(owner_id=rep.id)

    await sender.results(
        connection,
        secret,
        [
            employee(
                "E-2",
                "Rep@Example.com",
                manager_id="E-1",
                status="departed",
                updated_at="2026-11-02T00:00:00Z",
            )
        ],
    )

    boss = await user_by_email(session_factory, "boss@example.com")
    async with session_factory() as session:
        owner = await session.scalar(
            select(table_of(Customer).c.owner_id).where(table_of(Customer).c.id == customer.id)
        )
    assert owner == boss.id


async def test_departure_failing_after_its_first_write_leaves_no_trace(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    await make.user(email="desk@example.com", name="Desk", active=False)
    connection, secret = await connect("hrm", settings={"fallback_owner_email": "desk@example.com"})
    await sender.results(connection, secret, [employee("E-2", "rep@example.com", title="AE")])

    results = await sender.results(
        connection,
        secret,
        [
            employee(
                "E-2",
                "rep@example.com",
                title="Senior AE",
                status="departed",
                updated_at="2026-11-02T00:00:00Z",
            )
        ],
    )

    assert results[0]["outcome"] == "rejected"
    rep = await user_by_email(session_factory, "rep@example.com")
    assert (rep.active, rep.title) == (True, "AE")  # the title change before the failure is undone


async def test_hrm_does_not_demote_a_user_whose_job_role_is_unmapped(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    await make.user(email="admin@example.com", name="Admin", role="admin")
    connection, secret = await hrm(connect)

    await sender.results(connection, secret, [employee("E-9", "admin@example.com", role="CTO")])

    assert (await user_by_email(session_factory, "admin@example.com")).role == "admin"
