"""Which campaigns touched a deal's people before the deal was created: the first and the last.

A touch is a campaign member response (`responded_at`) of the deal's contact or of any contact
of its customer, or an interaction with a campaign with them, before the deal's `created_at`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.tables import table_of
from models import CampaignMember, Contact, Deal, Interaction

deals = table_of(Deal)
contacts = table_of(Contact)
members = table_of(CampaignMember)
interactions = table_of(Interaction)


@dataclass(frozen=True)
class Attribution:
    first_touch: uuid.UUID | None = None
    last_touch: uuid.UUID | None = None


def _people_of_deal() -> ColumnElement[bool]:
    """A contact is one of the deal's people: its contact, or a contact of its customer."""
    return or_(contacts.c.id == deals.c.contact_id, contacts.c.customer_id == deals.c.customer_id)


def _touches(deal_condition: ColumnElement[bool]) -> Subquery:
    responses = (
        select(
            deals.c.id.label("deal_id"),
            members.c.campaign_id.label("campaign_id"),
            members.c.responded_at.label("touched_at"),
        )
        .select_from(deals)
        .join(contacts, _people_of_deal())
        .join(members, members.c.contact_id == contacts.c.id)
        .where(
            deal_condition,
            members.c.deleted_at.is_(None),
            members.c.responded_at < deals.c.created_at,
        )
    )
    people = select(contacts.c.id).where(_people_of_deal()).correlate(deals).scalar_subquery()
    touches = (
        select(
            deals.c.id.label("deal_id"),
            interactions.c.campaign_id.label("campaign_id"),
            interactions.c.occurred_at.label("touched_at"),
        )
        .select_from(deals)
        .join(
            interactions,
            and_(
                interactions.c.campaign_id.is_not(None),
                interactions.c.deleted_at.is_(None),
                interactions.c.occurred_at < deals.c.created_at,
                or_(
                    interactions.c.customer_id == deals.c.customer_id,
                    interactions.c.contact_id.in_(people),
                ),
            ),
        )
    )
    return union_all(responses, touches.where(deal_condition)).subquery("touches")


def ranked_touches(deal_condition: ColumnElement[bool]) -> Subquery:
    """(deal_id, campaign_id, first_rank, last_rank) of the touches of the matching deals;
    rank 1 is the first (or last) touch. Ties are broken by campaign id."""
    touches = _touches(deal_condition)
    partition = touches.c.deal_id
    first = func.row_number().over(
        partition_by=partition, order_by=(touches.c.touched_at, touches.c.campaign_id)
    )
    last = func.row_number().over(
        partition_by=partition,
        order_by=(touches.c.touched_at.desc(), touches.c.campaign_id.desc()),
    )
    return select(
        touches.c.deal_id,
        touches.c.campaign_id,
        first.label("first_rank"),
        last.label("last_rank"),
    ).subquery("ranked_touches")


async def attributions_by_deal_ids(
    session: AsyncSession, deal_ids: Sequence[uuid.UUID]
) -> list[Attribution]:
    """The first- and last-touch campaign of each deal, in the order of ``deal_ids``."""
    ranked = ranked_touches(deals.c.id.in_(deal_ids))
    statement = select(
        ranked.c.deal_id, ranked.c.campaign_id, ranked.c.first_rank, ranked.c.last_rank
    ).where(or_(ranked.c.first_rank == 1, ranked.c.last_rank == 1))
    first: dict[uuid.UUID, uuid.UUID] = {}
    last: dict[uuid.UUID, uuid.UUID] = {}
    for row in (await session.execute(statement)).all():
        if row.first_rank == 1:
            first[row.deal_id] = row.campaign_id
        if row.last_rank == 1:
            last[row.deal_id] = row.campaign_id
    return [Attribution(first.get(deal_id), last.get(deal_id)) for deal_id in deal_ids]
