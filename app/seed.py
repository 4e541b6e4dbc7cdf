"""Deterministic demo data: the same seed gives the same rows, on every database."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from kernel.tables import table_of
from models import (
    Campaign,
    CampaignMember,
    Consent,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    Interaction,
    LostReason,
    Pipeline,
    Purchase,
    PurchaseLine,
    Stage,
    Team,
    Ticket,
    TicketComment,
    User,
)

CHUNK = 2000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Finance", "Health", "Logistics", "Energy"]
CITIES = [("Berlin", "DE"), ("Paris", "FR"), ("Austin", "US"), ("Leeds", "GB"), ("Turin", "IT")]
FIRST = ["Ada", "Alan", "Grace", "Linus", "Marie", "Niels", "Rosa", "Tim", "Emmy", "Kurt"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Curie", "Bohr", "Parks", "Lee", "Noether"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell"]
STAGES = [
    ("Lead", 10, "open", "pipeline"),
    ("Qualified", 25, "open", "pipeline"),
    ("Proposal", 50, "open", "best_case"),
    ("Negotiation", 75, "open", "commit"),
    ("Won", 100, "won", "closed"),
    ("Lost", 0, "lost", "omitted"),
]
LOST_REASONS = ["Price", "Competitor", "No budget", "Timing"]


class Seeder:
    """Builds rows table by table from one random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def when(self, days: int = 300) -> datetime:
        return EPOCH + timedelta(minutes=self.rng.randrange(days * 24 * 60))

    def add(self, table: Table, **values: Any) -> dict[str, Any]:
        row = {"id": self.uid(), "version": 1, **values}
        stamp = values.get("created_at") or self.when()
        row.setdefault("created_at", stamp)
        row.setdefault("updated_at", stamp)
        self.rows.setdefault(table.name, []).append(row)
        return row

    def build(self, customers: int) -> None:
        teams = [self.add(table_of(Team), name=name) for name in ("Sales", "Marketing", "Support")]
        users = [
            self.add(
                table_of(User),
                email=f"{first.lower()}@example.com",
                name=f"{first} {last}",
                role=role,
                team_id=teams[index % 3]["id"],
                active=True,
            )
            for index, (first, last, role) in enumerate(
                [
                    ("admin", "Admin", "admin"),
                    ("sam", "Sales", "sales_manager"),
                    ("rita", "Rep", "sales_rep"),
                    ("rob", "Rep", "sales_rep"),
                    ("mia", "Marketing", "marketing"),
                    ("sue", "Support", "support"),
                ]
            )
        ]
        pipeline = self.add(table_of(Pipeline), name="Sales", is_default=True)
        stages = [
            self.add(
                table_of(Stage),
                pipeline_id=pipeline["id"],
                name=name,
                position=position,
                probability=probability,
                kind=kind,
                forecast_category=category,
            )
            for position, (name, probability, kind, category) in enumerate(STAGES)
        ]
        self.lost_reasons = [
            self.add(table_of(LostReason), name=name, position=position)
            for position, name in enumerate(LOST_REASONS)
        ]
        campaigns = [
            self.add(
                table_of(Campaign),
                name=f"{season} {channel} campaign",
                channel=channel,
                status="active",
                currency="EUR",
                budget=Decimal(5000 * (index + 1)),
                actual_cost=Decimal(3000 * (index + 1)),
                owner_id=users[4]["id"],
                starts_on=date(2026, 1 + index, 1),
                ends_on=date(2026, 2 + index, 28),
            )
            for index, (season, channel) in enumerate(
                [("Spring", "email"), ("Summer", "event"), ("Autumn", "webinar"), ("Winter", "ads")]
            )
        ]
        for number in range(customers):
            self._customer(number, users, stages, campaigns)

    def _customer(
        self,
        number: int,
        users: list[dict[str, Any]],
        stages: list[dict[str, Any]],
        campaigns: list[dict[str, Any]],
    ) -> None:
        rng = self.rng
        city, country = rng.choice(CITIES)
        industry = rng.choice(INDUSTRIES)
        name = f"{rng.choice(WORDS)} {industry} {number:05d}"
        owner = users[2 + number % 2]["id"]
        customer = self.add(
            table_of(Customer),
            name=name,
            domain=f"customer{number:05d}.example.com",
            industry=industry,
            employees=rng.randrange(5, 5000),
            lifecycle_stage=rng.choice(["lead", "prospect", "customer", "customer", "churned"]),
            owner_id=owner,
            phone=f"+49 30 {number:07d}",
            city=city,
            country=country,
            tags=[rng.choice(["vip", "smb", "enterprise", "partner"])],
            external_id=f"ERP-{number:06d}",
        )
        contacts = [
            self.add(
                table_of(Contact),
                customer_id=customer["id"],
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                email=f"person{index}.{number:05d}@example.com",
                phone=f"+49 170 {number:05d}{index}",
                title=rng.choice(["CEO", "CTO", "Buyer"]),
                owner_id=owner,
                marketing_opt_in=index % 2 == 0,
                opt_in_at=EPOCH if index % 2 == 0 else None,
                opt_in_source="seed" if index % 2 == 0 else None,
            )
            for index in range(5)
        ]
        for contact in contacts:
            if contact["marketing_opt_in"]:
                self.rows.setdefault("consents", []).append(
                    {
                        "id": uuid.uuid5(contact["id"], "consent"),
                        "contact_id": contact["id"],
                        "purpose": "marketing_email",
                        "granted": True,
                        "occurred_at": EPOCH,
                        "source": "seed",
                        "recorded_by": "system:seed",
                    }
                )
        for index in range(3):
            stage = rng.choice(stages)
            created = self.when()
            deal = self.add(
                table_of(Deal),
                name=f"{name} deal {index + 1}",
                customer_id=customer["id"],
                contact_id=contacts[index]["id"],
                pipeline_id=stage["pipeline_id"],
                stage_id=stage["id"],
                owner_id=owner,
                amount=Decimal(rng.randrange(1000, 90000)),
                currency="EUR",
                campaign_id=rng.choice(campaigns)["id"] if index == 0 else None,
                expected_close_date=(created + timedelta(days=60)).date(),
                created_at=created,
                closed_at=created + timedelta(days=30) if stage["kind"] != "open" else None,
                lost_reason_id=(
                    self.lost_reasons[index % len(LOST_REASONS)]["id"]
                    if stage["kind"] == "lost"
                    else None
                ),
            )
            self.add(
                table_of(DealStageChange),
                deal_id=deal["id"],
                from_stage_id=None,
                to_stage_id=stage["id"],
                changed_at=created,
                amount=deal["amount"],
                currency="EUR",
                created_at=created,
                # The deal's only change: see `derive_stage_history`.
                left_at=None,
                entry=1,
                reached_position=None if stage["kind"] == "lost" else stage["position"],
            )
        for index in range(2):
            ticket = self.add(
                table_of(Ticket),
                subject=f"Question {index + 1} from {name}",
                description="Something does not work as expected.",
                status=rng.choice(["new", "open", "pending", "resolved"]),
                priority=rng.choice(["low", "normal", "high", "urgent"]),
                channel=rng.choice(["email", "phone", "web"]),
                customer_id=customer["id"],
                contact_id=contacts[index]["id"],
                assignee_id=users[5]["id"],
            )
            for reply in range(2):
                self.add(
                    table_of(TicketComment),
                    ticket_id=ticket["id"],
                    author_id=users[5]["id"] if reply else None,
                    body="Thanks, we are looking into it." if reply else "Please help.",
                    is_public=True,
                    created_at=ticket["created_at"] + timedelta(hours=reply + 1),
                )
            self.add(
                table_of(Interaction),
                kind=rng.choice(["call", "email", "meeting", "note"]),
                occurred_at=self.when(),
                subject=f"Follow-up {index + 1}",
                customer_id=customer["id"],
                contact_id=contacts[index]["id"],
                user_id=owner,
            )
        total = Decimal(0)
        purchase_id = self.uid()
        for position in range(2):
            quantity, price = Decimal(rng.randrange(1, 10)), Decimal(rng.randrange(10, 500))
            total += quantity * price
            self.add(
                table_of(PurchaseLine),
                purchase_id=purchase_id,
                position=position,
                description=f"Item {position + 1}",
                sku=f"SKU-{position + 1}",
                quantity=quantity,
                unit_price=price,
                amount=quantity * price,
            )
        self.add(
            table_of(Purchase),
            id=purchase_id,
            customer_id=customer["id"],
            number=f"PO-{number:06d}",
            kind="order",
            status="confirmed",
            currency="EUR",
            total_amount=total,
            ordered_at=self.when(),
            external_id=f"ERP-PO-{number:06d}",
        )
        self.add(
            table_of(CampaignMember),
            campaign_id=rng.choice(campaigns)["id"],
            contact_id=contacts[0]["id"],
            status=rng.choice(["targeted", "sent", "responded"]),
        )


INSERT_ORDER: list[type[SQLModel]] = [
    Team,
    User,
    Pipeline,
    Stage,
    LostReason,
    Campaign,
    Customer,
    Contact,
    Deal,
    DealStageChange,
    Ticket,
    TicketComment,
    Interaction,
    Purchase,
    PurchaseLine,
    CampaignMember,
    Consent,
]


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return not await connection.scalar(select(func.count()).select_from(table_of(Customer)))


async def seed(engine: AsyncEngine, customers: int = 50, seed_value: int = 42) -> dict[str, int]:
    """Insert demo data in one transaction; returns the row count per table."""
    seeder = Seeder(seed_value)
    seeder.build(customers)
    async with engine.begin() as connection:
        for model in INSERT_ORDER:
            table = table_of(model)
            for chunk in _chunks(seeder.rows.get(table.name, [])):
                await connection.execute(insert(table), chunk)
    return {name: len(rows) for name, rows in seeder.rows.items()}
