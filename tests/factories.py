"""Test data made through the same services the API uses (unless a test needs raw rows)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.crud import EntityRules, create_entity
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import (
    ApiClient,
    Deal,
    DealStageChange,
    ExchangeRate,
    ForecastCategory,
    Interaction,
    MemberStatus,
    Pipeline,
    Stage,
    StageKind,
    Team,
    User,
)
from resolvers.campaigns.costs import add_campaign_cost
from resolvers.campaigns.members import set_member_status
from resolvers.campaigns.service import CAMPAIGN_MEMBER_RULES, CAMPAIGN_RULES
from resolvers.customers.interactions import INTERACTION_RULES
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CONTACT_RULES, CUSTOMER_RULES
from resolvers.deals.lost_reasons import LOST_REASON_RULES
from resolvers.deals.pipelines import DEFAULT_FORECAST
from resolvers.deals.products import PRODUCT_RULES
from resolvers.deals.service import DEAL_RULES, derive_stage_history
from resolvers.privacy.consents import record_consent
from resolvers.tickets.service import TICKET_COMMENT_RULES, TICKET_RULES
from schema.ids import encode_id

_numbers = itertools.count(1)


def gid(type_name: str, row: Any) -> str:
    """The global id the API shows for a row."""
    return encode_id(type_name, row.id)


class Factory:
    """Creates rows with sensible defaults; every keyword overrides one field."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def _create(self, rules: EntityRules[Any], data: dict[str, Any]) -> Any:
        async with unit_of_work(self.session_factory) as session:
            return await create_entity(session, SYSTEM, rules, data)

    async def _add(self, row: Any) -> Any:
        async with unit_of_work(self.session_factory) as session:
            session.add(row)
        return row

    async def team(self, **values: Any) -> Team:
        return await self._add(Team(**{"name": f"Team {next(_numbers)}", **values}))  # type: ignore[no-any-return]

    async def user(self, **values: Any) -> User:
        n = next(_numbers)
        defaults = {"email": f"user{n}@example.com", "name": f"User {n}", "role": "sales_rep"}
        return await self._add(User(**{**defaults, **values}))  # type: ignore[no-any-return]

    async def pipeline(self, default: bool = True) -> tuple[Pipeline, list[Stage]]:
        pipeline = await self._add(Pipeline(name=f"Pipeline {next(_numbers)}", is_default=default))
        stages = []
        for position, (name, probability, kind) in enumerate(
            [
                ("Lead", 10, StageKind.OPEN),
                ("Proposal", 50, StageKind.OPEN),
                ("Won", 100, StageKind.WON),
                ("Lost", 0, StageKind.LOST),
            ]
        ):
            stages.append(
                await self._add(
                    Stage(
                        pipeline_id=pipeline.id,
                        name=name,
                        position=position,
                        probability=probability,
                        kind=kind,
                        forecast_category=DEFAULT_FORECAST[kind],
                    )
                )
            )
        return pipeline, stages

    async def api_client(self, client_id: str, scopes: list[str]) -> ApiClient:
        """A registered partner client (its secret is unusable: tests issue its tokens)."""
        client = ApiClient(name=client_id, client_id=client_id, secret_hash="!", scopes=scopes)
        return await self._add(client)  # type: ignore[no-any-return]

    async def customer(self, **values: Any) -> Any:
        return await self._create(CUSTOMER_RULES, {"name": f"Customer {next(_numbers)}", **values})

    async def contact(self, **values: Any) -> Any:
        n = next(_numbers)
        defaults = {"first_name": "Ada", "last_name": f"Person{n}", "email": f"p{n}@example.com"}
        return await self._create(CONTACT_RULES, {**defaults, **values})

    async def deal(self, **values: Any) -> Any:
        defaults = {"name": f"Deal {next(_numbers)}", "amount": Decimal(1000), "currency": "EUR"}
        return await self._create(DEAL_RULES, {**defaults, **values})

    async def lost_reason(self, **values: Any) -> Any:
        return await self._create(LOST_REASON_RULES, {"name": f"Reason {next(_numbers)}", **values})

    async def product(self, **values: Any) -> Any:
        """A product; ``prices`` is a list of {currency, unit_price}."""
        n = next(_numbers)
        return await self._create(
            PRODUCT_RULES, {"name": f"Product {n}", "sku": f"SKU-{n}", **values}
        )

    async def ticket(self, **values: Any) -> Any:
        return await self._create(TICKET_RULES, {"subject": f"Ticket {next(_numbers)}", **values})

    async def comment(self, **values: Any) -> Any:
        return await self._create(TICKET_COMMENT_RULES, {"body": "Hello", **values})

    async def interaction(self, **values: Any) -> Any:
        defaults = {
            "kind": "call",
            "subject": f"Call {next(_numbers)}",
            "occurred_at": datetime(2026, 3, 1, tzinfo=UTC),
        }
        return await self._create(INTERACTION_RULES, {**defaults, **values})

    async def purchase(self, **values: Any) -> Any:
        defaults = {
            "number": f"PO-{next(_numbers)}",
            "currency": "EUR",
            "ordered_at": datetime(2026, 3, 1, tzinfo=UTC),
            "lines": [
                {"description": "Widget", "quantity": Decimal(2), "unit_price": Decimal("9.99")}
            ],
        }
        return await self._create(PURCHASE_RULES, {**defaults, **values})

    async def campaign(self, **values: Any) -> Any:
        defaults = {"name": f"Campaign {next(_numbers)}", "channel": "email"}
        return await self._create(CAMPAIGN_RULES, {**defaults, **values})

    async def member(self, **values: Any) -> Any:
        return await self._create(CAMPAIGN_MEMBER_RULES, values)

    async def consent(self, **values: Any) -> Any:
        """A consent recorded through the privacy service (``contact_id`` is required)."""
        data = {"purpose": "marketing_email", "granted": True, "source": "web form", **values}
        async with unit_of_work(self.session_factory) as session:
            return await record_consent(session, SYSTEM, data)

    # --- Sales reports: rows inserted as they are, with fixed timestamps and history ---

    async def sales_pipeline(
        self, default: bool = False, name: str | None = None
    ) -> tuple[Pipeline, dict[str, Stage]]:
        """Lead (10%, pipeline), Proposal (50%, best case), Negotiation (80%, commit),
        Won (100%, closed), Lost (0%, omitted), at positions 0 to 4; stages by name."""
        pipeline = await self._add(
            Pipeline(name=name or f"Pipeline {next(_numbers)}", is_default=default)
        )
        stages: dict[str, Stage] = {}
        for position, (stage_name, probability, kind, category) in enumerate(
            [
                ("Lead", 10, StageKind.OPEN, ForecastCategory.PIPELINE),
                ("Proposal", 50, StageKind.OPEN, ForecastCategory.BEST_CASE),
                ("Negotiation", 80, StageKind.OPEN, ForecastCategory.COMMIT),
                ("Won", 100, StageKind.WON, ForecastCategory.CLOSED),
                ("Lost", 0, StageKind.LOST, ForecastCategory.OMITTED),
            ]
        ):
            stages[stage_name] = await self._add(
                Stage(
                    pipeline_id=pipeline.id,
                    name=stage_name,
                    position=position,
                    probability=probability,
                    kind=kind,
                    forecast_category=category,
                )
            )
        return pipeline, stages

    async def sales_deal(self, history: list[tuple[Stage, datetime]], **values: Any) -> Deal:
        """A deal that went through ``history`` (stage, when), oldest first: created at the first
        change and now in the last stage; its stage changes are inserted too."""
        if "customer_id" not in values:
            values["customer_id"] = (await self.customer()).id
        first_at, (stage, _) = history[0][1], history[-1]
        defaults = {
            "name": f"Deal {next(_numbers)}",
            "amount": Decimal(1000),
            "currency": "EUR",
            "created_at": first_at,
            "pipeline_id": stage.pipeline_id,
            "stage_id": stage.id,
        }
        deal = Deal(**{**defaults, **values})
        async with unit_of_work(self.session_factory) as session:
            session.add(deal)
            await session.flush()
            previous: Stage | None = None
            for to_stage, at in history:
                session.add(
                    DealStageChange(
                        deal_id=deal.id,
                        from_stage_id=None if previous is None else previous.id,
                        to_stage_id=to_stage.id,
                        changed_at=at,
                        amount=deal.amount,
                        currency=deal.currency,
                    )
                )
                previous = to_stage
            await session.flush()
            await session.execute(derive_stage_history([deal.id]))
        return deal

    async def exchange_rate(
        self, currency: str, rate: str, rate_date: date, to_currency: str = "EUR"
    ) -> ExchangeRate:
        row = ExchangeRate(
            currency=currency, to_currency=to_currency, rate_date=rate_date, rate=Decimal(rate)
        )
        return await self._add(row)  # type: ignore[no-any-return]

    # --- marketing ---

    async def opted_in_contact(self, **values: Any) -> Any:
        """A contact who consented to marketing email."""
        return await self.contact(marketing_opt_in=True, **values)

    async def campaign_touch(self, campaign_id: Any, **values: Any) -> Any:
        """An interaction with a campaign, inserted as it is."""
        defaults = {
            "kind": "email",
            "subject": f"Campaign email {next(_numbers)}",
            "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        return await self._add(Interaction(campaign_id=campaign_id, **{**defaults, **values}))

    async def campaign_cost(self, campaign_id: Any, amount: str, **values: Any) -> Any:
        """A cost entry through the costs service (keeps the campaign's actual cost)."""
        data = {"campaign_id": campaign_id, "amount": amount, "incurred_on": "2026-01-15"}
        async with unit_of_work(self.session_factory) as session:
            return await add_campaign_cost(session, SYSTEM, {**data, **values})

    async def member_status(self, member_id: Any, status: str) -> Any:
        async with unit_of_work(self.session_factory) as session:
            return await set_member_status(session, SYSTEM, member_id, MemberStatus(status))

    # --- automation ---

    async def automation_rule(self, **values: Any) -> Any:
        """A rule written through the rules service (conditions in the API's filter input)."""
        from resolvers.campaigns.automation.rules import create_rule
        from schema.campaigns.automation import conditions_filter

        defaults: dict[str, Any] = {
            "name": f"Rule {next(_numbers)}",
            "trigger": "contact.created",
            "actions": [{"type": "set_field", "field": "title", "value": "Lead"}],
        }
        async with unit_of_work(self.session_factory) as session:
            return await create_rule(session, SYSTEM, {**defaults, **values}, conditions_filter)
