"""A campaign's figures, with its descendants' when asked: members, responses, leads, deals,
pipeline, won revenue (first- and last-touch), cost and ROI. Every figure is a SQL aggregate.

Amounts are added up as stored, in their own currencies: ROI is meant in the campaign's currency
and no exchange rates are applied (a campaign's deals are expected to share its currency).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.tables import table_of
from models import Campaign, CampaignMember, Contact, Deal, MemberStatus, Stage, StageKind
from resolvers.campaigns.attribution import ranked_touches

campaigns = table_of(Campaign)
members = table_of(CampaignMember)
contacts = table_of(Contact)
deals = table_of(Deal)
stages = table_of(Stage)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Performance:
    campaign_ids: list[uuid.UUID]
    members_by_status: dict[MemberStatus, int]
    sent: int
    responded: int
    converted: int
    leads: int
    deals_created: int
    pipeline_value: Decimal
    won_revenue_source: Decimal
    won_revenue_first_touch: Decimal
    won_revenue_last_touch: Decimal
    cost: Decimal

    @property
    def members(self) -> int:
        return sum(self.members_by_status.values())

    @property
    def response_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.responded), Decimal(self.sent))

    @property
    def conversion_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.converted), Decimal(self.sent))

    @property
    def cost_per_lead(self) -> Decimal | None:
        return _ratio(self.cost, Decimal(self.leads), "0.01")

    @property
    def roi_first_touch(self) -> Decimal | None:
        return _ratio(self.won_revenue_first_touch - self.cost, self.cost)

    @property
    def roi_last_touch(self) -> Decimal | None:
        return _ratio(self.won_revenue_last_touch - self.cost, self.cost)


def _ratio(part: Decimal, whole: Decimal, places: str = "0.0001") -> Decimal | None:
    """``part / whole`` rounded to ``places``; None when ``whole`` is zero."""
    return None if whole == 0 else (part / whole).quantize(Decimal(places))


def campaign_tree(campaign_id: uuid.UUID, include_children: bool) -> CTE:
    """The campaign and, if asked, its descendants (not deleted), as a recursive CTE."""
    tree = select(campaigns.c.id).where(campaigns.c.id == campaign_id).cte("tree", recursive=True)
    if not include_children:
        return tree
    children = select(campaigns.c.id).where(
        campaigns.c.parent_id == tree.c.id, campaigns.c.deleted_at.is_(None)
    )
    return tree.union_all(children)


async def _member_figures(session: AsyncSession, tree: CTE) -> tuple[dict[MemberStatus, int], Any]:
    in_tree = and_(members.c.campaign_id.in_(select(tree.c.id)), members.c.deleted_at.is_(None))
    by_status = await session.execute(
        select(members.c.status, func.count()).where(in_tree).group_by(members.c.status)
    )
    counts = {MemberStatus(status): int(count) for status, count in by_status.all()}
    started = or_(
        and_(campaigns.c.starts_on.is_not(None), contacts.c.created_at >= campaigns.c.starts_on),
        and_(campaigns.c.starts_on.is_(None), contacts.c.created_at >= campaigns.c.created_at),
    )
    totals = await session.execute(
        select(
            func.count().filter(members.c.status != MemberStatus.TARGETED).label("sent"),
            func.count().filter(members.c.responded_at.is_not(None)).label("responded"),
            func.count().filter(members.c.converted_at.is_not(None)).label("converted"),
            func.count(func.distinct(case((started, contacts.c.id)))).label("leads"),
        )
        .select_from(members)
        .join(campaigns, campaigns.c.id == members.c.campaign_id)
        .join(contacts, contacts.c.id == members.c.contact_id)
        .where(in_tree)
    )
    return counts, totals.one()


def _sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


async def _deal_figures(session: AsyncSession, tree: CTE) -> Any:
    kind = stages.c.kind
    statement = (
        select(
            func.count().label("created"),
            _sum(case((kind == StageKind.OPEN, deals.c.amount), else_=0)).label("pipeline"),
            _sum(case((kind == StageKind.WON, deals.c.amount), else_=0)).label("won"),
        )
        .select_from(deals)
        .join(stages, stages.c.id == deals.c.stage_id)
        .where(deals.c.campaign_id.in_(select(tree.c.id)), deals.c.deleted_at.is_(None))
    )
    return (await session.execute(statement)).one()


async def _won_by_touch(session: AsyncSession, tree: CTE, rank: str) -> Decimal:
    won = and_(
        deals.c.deleted_at.is_(None),
        deals.c.stage_id.in_(select(stages.c.id).where(stages.c.kind == StageKind.WON)),
    )
    ranked = ranked_touches(won)
    statement = (
        select(_sum(deals.c.amount))
        .select_from(ranked)
        .join(deals, deals.c.id == ranked.c.deal_id)
        .where(ranked.c[rank] == 1, ranked.c.campaign_id.in_(select(tree.c.id)))
    )
    return Decimal(await session.scalar(statement) or 0)


async def campaign_performance(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, include_children: bool
) -> Performance:
    """The campaign's figures, its descendants' included when ``include_children``."""
    found = await session.scalar(select(campaigns.c.id).where(campaigns.c.id == campaign_id))
    if found is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "campaign not found", "campaign_id")
    tree = campaign_tree(campaign_id, include_children)
    ids = list((await session.scalars(select(tree.c.id))).all())
    counts, totals = await _member_figures(session, tree)
    deal_totals = await _deal_figures(session, tree)
    cost = await session.scalar(
        select(_sum(campaigns.c.actual_cost)).where(campaigns.c.id.in_(select(tree.c.id)))
    )
    return Performance(
        campaign_ids=ids,
        members_by_status=counts,
        sent=int(totals.sent),
        responded=int(totals.responded),
        converted=int(totals.converted),
        leads=int(totals.leads),
        deals_created=int(deal_totals.created),
        pipeline_value=Decimal(deal_totals.pipeline),
        won_revenue_source=Decimal(deal_totals.won),
        won_revenue_first_touch=await _won_by_touch(session, tree, "first_rank"),
        won_revenue_last_touch=await _won_by_touch(session, tree, "last_rank"),
        cost=Decimal(cost or 0),
    )
