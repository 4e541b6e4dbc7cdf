"""Interactions: the calls, emails, meetings and notes of the contact record."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, LongText, Name, partial
from kernel.principal import Principal
from models import Campaign, Contact, Customer, Interaction, InteractionKind, User


class InteractionCreate(InputModel):
    kind: InteractionKind
    occurred_at: AwareDatetime
    subject: Name
    summary: LongText | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    # The campaign this touch belongs to (a webinar visit, a reply to a mailing).
    campaign_id: uuid.UUID | None = None


async def _check_subject(
    session: AsyncSession, principal: Principal, change: Change[Interaction]
) -> None:
    values = change.values
    customer_id = change.get("customer_id")
    contact_id = change.get("contact_id")
    if customer_id is None and contact_id is None:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "an interaction concerns a customer or a contact", "customer_id"
        )
    if customer_id is None and contact_id is not None:
        # Interactions with a contact count for the contact's company too.
        contact = await session.get(Contact, contact_id)
        if contact is not None:
            values["customer_id"] = contact.customer_id
    if (
        values.get("user_id") is None
        and change.row.user_id is None
        and principal.user_id is not None
    ):
        values["user_id"] = principal.user_id


INTERACTION_RULES = EntityRules(
    model=Interaction,
    entity="interaction",
    create_input=InteractionCreate,
    update_input=partial(InteractionCreate, "InteractionUpdate"),
    references={
        "customer_id": Customer,
        "contact_id": Contact,
        "user_id": User,
        "campaign_id": Campaign,
    },
    unique=(),
    before_write=_check_subject,
)
