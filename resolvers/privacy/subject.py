"""The data subject: the contact a privacy request is about, as the principal may see it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import row_filter
from models import Contact

contacts = table_of(Contact)


async def load_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, *, lock: bool = False
) -> Contact:
    """The contact (soft-deleted ones too) if the principal may see it; NOT_FOUND otherwise."""
    statement = select(Contact).where(contacts.c.id == contact_id)
    if (visible := row_filter(contacts.name, principal)) is not None:
        statement = statement.where(visible)
    if lock:
        statement = statement.with_for_update()
    contact = (await session.execute(statement)).scalar_one_or_none()
    if contact is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "contact not found", "contactId")
    return contact


def refuse_erased(contact: Contact) -> None:
    if contact.erased_at is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, "this contact's personal data was erased", "contactId"
        )
