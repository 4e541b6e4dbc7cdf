"""Writing the knowledge base: articles (knowledge:write), votes (knowledge:read) and links to
the tickets they solved (tickets:write)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.permissions import Scope
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from resolvers.tickets.knowledge.links import link_article, unlink_article
from resolvers.tickets.knowledge.service import KB_ARTICLE_RULES, set_published
from resolvers.tickets.knowledge.votes import vote_article
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.ids import decode_id_of
from schema.inputs import UNSET
from schema.mutations import entity_mutations
from schema.permissions import can_read, can_write, requires
from schema.tickets.knowledge import KbArticle
from schema.tickets.types import Ticket

Action = Callable[[AsyncSession, Principal], Awaitable[Any]]


@strawberry.input(description="A new article; it starts as a draft.")
class CreateKbArticleInput:
    title: str
    body: str
    category: str | None = UNSET
    tags: list[str] | None = strawberry.field(default=UNSET, description="At most 20.")


@strawberry.input(description="Changes to an article; `publishKbArticle` changes its status.")
class UpdateKbArticleInput:
    title: str | None = UNSET
    body: str | None = UNSET
    category: str | None = UNSET
    tags: list[str] | None = UNSET


@strawberry.type(description="The article and ticket as linked (or unlinked), or why not.")
class KbArticleTicketLinkPayload:
    kb_article: KbArticle | None
    ticket: Ticket | None
    errors: list[UserError]


def _pk(global_id: str, type_name: str, argument: str) -> Any:
    try:
        return decode_id_of(global_id, type_name, argument)
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), argument) from exc


async def _run(info: Info, action: Action) -> Any:
    """The action's result, or the payload errors of a refused request (nothing written)."""
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        return user_errors(exc.errors, ())


def knowledge_mutations() -> dict[str, Any]:
    """createKbArticle, updateKbArticle, deleteKbArticle, restoreKbArticle, publishKbArticle,
    unpublishKbArticle, voteKbArticle, linkKbArticleToTicket and unlinkKbArticleFromTicket."""
    fields = entity_mutations(
        KB_ARTICLE_RULES, KbArticle, CreateKbArticleInput, UpdateKbArticleInput
    )
    payload = fields["update_kb_article"].type

    def as_payload(result: Any) -> Any:
        # The entity payload's field is named as `entity_mutations` names it.
        if isinstance(result, list):
            return payload(kbArticle=None, errors=result)
        return payload(kbArticle=KbArticle.from_row(result), errors=[])

    async def publish(info: Info, id: strawberry.ID, expected_version: int | None = None) -> Any:
        return as_payload(await _publish(info, id, True, expected_version))

    async def unpublish(info: Info, id: strawberry.ID, expected_version: int | None = None) -> Any:
        return as_payload(await _publish(info, id, False, expected_version))

    async def vote(info: Info, article_id: strawberry.ID, helpful: bool) -> Any:
        return as_payload(
            await _run(
                info,
                lambda s, p: vote_article(s, p, _pk(article_id, "KbArticle", "articleId"), helpful),
            )
        )

    for resolver in (publish, unpublish, vote):
        resolver.__annotations__["return"] = payload
    write = can_write("kb_article")
    return fields | {
        "publish_kb_article": strawberry.mutation(
            resolver=publish,
            description="Publish a draft: readers see it from now on (`kb_article.published`).",
            permission_classes=write,
        ),
        "unpublish_kb_article": strawberry.mutation(
            resolver=unpublish,
            description="Take a published article back to draft.",
            permission_classes=write,
        ),
        "vote_kb_article": strawberry.mutation(
            resolver=vote,
            description="Say whether a published article helped. One vote per user or client: "
            "voting again replaces the earlier vote.",
            permission_classes=can_read("kb_article"),
        ),
    }


async def _publish(
    info: Info, global_id: str, published: bool, expected_version: int | None
) -> Any:
    return await _run(
        info,
        lambda s, p: set_published(
            s, p, _pk(global_id, "KbArticle", "id"), published, expected_version
        ),
    )


async def _link(info: Info, article_id: str, ticket_id: str, linked: bool) -> Any:
    operation = link_article if linked else unlink_article
    result = await _run(
        info,
        lambda s, p: operation(
            s, p, _pk(article_id, "KbArticle", "articleId"), _pk(ticket_id, "Ticket", "ticketId")
        ),
    )
    if isinstance(result, list):
        return KbArticleTicketLinkPayload(kb_article=None, ticket=None, errors=result)
    article, ticket = result
    return KbArticleTicketLinkPayload(
        kb_article=KbArticle.from_row(article), ticket=Ticket.from_row(ticket), errors=[]
    )


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(
        description="Record that an article helped solve a ticket; linking again changes nothing.",
        permission_classes=[requires(Scope.TICKETS_WRITE)],
    )
    async def link_kb_article_to_ticket(
        self, info: Info, article_id: strawberry.ID, ticket_id: strawberry.ID
    ) -> KbArticleTicketLinkPayload:
        return await _link(info, article_id, ticket_id, True)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Remove the link between an article and a ticket.",
        permission_classes=[requires(Scope.TICKETS_WRITE)],
    )
    async def unlink_kb_article_from_ticket(
        self, info: Info, article_id: strawberry.ID, ticket_id: strawberry.ID
    ) -> KbArticleTicketLinkPayload:
        return await _link(info, article_id, ticket_id, False)  # type: ignore[no-any-return]
