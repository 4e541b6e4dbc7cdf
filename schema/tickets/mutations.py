"""Writing tickets and their comments: create, update, trash, restore; tickets also in batches
by `externalId`."""

from __future__ import annotations

import strawberry

import models
from resolvers.tickets.service import TICKET_COMMENT_RULES, TICKET_RULES
from schema.context import Info
from schema.errors import UserError
from schema.mutations import MAX_BATCH, create_row, set_row_deleted, update_row, upsert_rows
from schema.permissions import can_write
from schema.tickets.inputs import (
    CreateTicketCommentInput,
    CreateTicketInput,
    UpdateTicketCommentInput,
    UpdateTicketInput,
)
from schema.tickets.types import Ticket, TicketComment

WRITE_TICKET = can_write(TICKET_RULES.entity)
WRITE_COMMENT = can_write(TICKET_COMMENT_RULES.entity)


@strawberry.type(description="The Ticket as written, or the errors that stopped the write.")
class TicketPayload:
    ticket: Ticket | None
    errors: list[UserError]


@strawberry.type(description="One record of a batch upsert: the Ticket written, or why it was not.")
class TicketUpsertResult:
    index: int
    created: bool
    ticket: Ticket | None
    errors: list[UserError]


def ticket_payload(result: models.Ticket | list[UserError]) -> TicketPayload:
    if isinstance(result, list):
        return TicketPayload(ticket=None, errors=result)
    return TicketPayload(ticket=Ticket.from_row(result), errors=[])


@strawberry.type(description="The TicketComment as written, or the errors that stopped the write.")
class TicketCommentPayload:
    ticket_comment: TicketComment | None
    errors: list[UserError]


def _ticket_comment_payload(result: models.TicketComment | list[UserError]) -> TicketCommentPayload:
    if isinstance(result, list):
        return TicketCommentPayload(ticket_comment=None, errors=result)
    return TicketCommentPayload(ticket_comment=TicketComment.from_row(result), errors=[])


@strawberry.type
class TicketMutation:
    @strawberry.mutation(description="Create a Ticket.", permission_classes=WRITE_TICKET)
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        return ticket_payload(await create_row(info, TICKET_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Ticket. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_TICKET,
    )
    async def update_ticket(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateTicketInput,
        expected_version: int | None = None,
    ) -> TicketPayload:
        return ticket_payload(
            await update_row(info, TICKET_RULES, "Ticket", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Ticket to the trash (restorable).", permission_classes=WRITE_TICKET
    )
    async def delete_ticket(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TicketPayload:
        return ticket_payload(
            await set_row_deleted(info, TICKET_RULES, "Ticket", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Ticket back from the trash.", permission_classes=WRITE_TICKET
    )
    async def restore_ticket(self, info: Info, id: strawberry.ID) -> TicketPayload:
        return ticket_payload(await set_row_deleted(info, TICKET_RULES, "Ticket", id, False))

    @strawberry.mutation(
        description=f"Create or update up to {MAX_BATCH} Tickets by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
        permission_classes=WRITE_TICKET,
    )
    async def upsert_tickets(
        self, info: Info, inputs: list[CreateTicketInput]
    ) -> list[TicketUpsertResult]:
        return [
            TicketUpsertResult(
                index=outcome.index,
                created=outcome.created,
                ticket=Ticket.from_optional(outcome.row),
                errors=outcome.errors,
            )
            for outcome in await upsert_rows(info, TICKET_RULES, inputs)
        ]

    @strawberry.mutation(description="Create a TicketComment.", permission_classes=WRITE_COMMENT)
    async def create_ticket_comment(
        self, info: Info, input: CreateTicketCommentInput
    ) -> TicketCommentPayload:
        return _ticket_comment_payload(await create_row(info, TICKET_COMMENT_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a TicketComment. With `expectedVersion`, refuse "
        "with CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_COMMENT,
    )
    async def update_ticket_comment(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateTicketCommentInput,
        expected_version: int | None = None,
    ) -> TicketCommentPayload:
        return _ticket_comment_payload(
            await update_row(
                info, TICKET_COMMENT_RULES, "TicketComment", id, input, expected_version
            )
        )

    @strawberry.mutation(
        description="Move a TicketComment to the trash (restorable).",
        permission_classes=WRITE_COMMENT,
    )
    async def delete_ticket_comment(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TicketCommentPayload:
        return _ticket_comment_payload(
            await set_row_deleted(
                info, TICKET_COMMENT_RULES, "TicketComment", id, True, expected_version
            )
        )

    @strawberry.mutation(
        description="Bring a TicketComment back from the trash.", permission_classes=WRITE_COMMENT
    )
    async def restore_ticket_comment(self, info: Info, id: strawberry.ID) -> TicketCommentPayload:
        return _ticket_comment_payload(
            await set_row_deleted(info, TICKET_COMMENT_RULES, "TicketComment", id, False)
        )
