"""Writing the knowledge base: articles (knowledge:write), votes (knowledge:read) and links to
the tickets they solved (tickets:write)."""

from __future__ import annotations

import strawberry

import models
from kernel.permissions import Scope
from resolvers.tickets.knowledge.links import link_article, unlink_article
from resolvers.tickets.knowledge.service import KB_ARTICLE_RULES, set_published
from resolvers.tickets.knowledge.votes import vote_article
from schema.context import Info
from schema.errors import UserError
from schema.inputs import UNSET
from schema.mutations import create_row, set_row_deleted, update_row
from schema.permissions import can_read, can_write, requires
from schema.services import node_pk, run_service
from schema.tickets.knowledge import KbArticle
from schema.tickets.types import Ticket

WRITE = can_write(KB_ARTICLE_RULES.entity)
LINK = [requires(Scope.TICKETS_WRITE)]


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


@strawberry.type(description="The KbArticle as written, or the errors that stopped the write.")
class KbArticlePayload:
    kb_article: KbArticle | None
    errors: list[UserError]


def _kb_article_payload(result: models.KbArticle | list[UserError]) -> KbArticlePayload:
    if isinstance(result, list):
        return KbArticlePayload(kb_article=None, errors=result)
    return KbArticlePayload(kb_article=KbArticle.from_row(result), errors=[])


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Create a KbArticle.", permission_classes=WRITE)
    async def create_kb_article(self, info: Info, input: CreateKbArticleInput) -> KbArticlePayload:
        return _kb_article_payload(await create_row(info, KB_ARTICLE_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a KbArticle. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE,
    )
    async def update_kb_article(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateKbArticleInput,
        expected_version: int | None = None,
    ) -> KbArticlePayload:
        return _kb_article_payload(
            await update_row(info, KB_ARTICLE_RULES, "KbArticle", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a KbArticle to the trash (restorable).", permission_classes=WRITE
    )
    async def delete_kb_article(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> KbArticlePayload:
        return _kb_article_payload(
            await set_row_deleted(info, KB_ARTICLE_RULES, "KbArticle", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a KbArticle back from the trash.", permission_classes=WRITE
    )
    async def restore_kb_article(self, info: Info, id: strawberry.ID) -> KbArticlePayload:
        return _kb_article_payload(
            await set_row_deleted(info, KB_ARTICLE_RULES, "KbArticle", id, False)
        )

    @strawberry.mutation(
        description="Publish a draft: readers see it from now on (`kb_article.published`).",
        permission_classes=WRITE,
    )
    async def publish_kb_article(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> KbArticlePayload:
        return _kb_article_payload(await _publish(info, id, True, expected_version))

    @strawberry.mutation(
        description="Take a published article back to draft.", permission_classes=WRITE
    )
    async def unpublish_kb_article(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> KbArticlePayload:
        return _kb_article_payload(await _publish(info, id, False, expected_version))

    @strawberry.mutation(
        description="Say whether a published article helped. One vote per user or client: "
        "voting again replaces the earlier vote.",
        permission_classes=can_read("kb_article"),
    )
    async def vote_kb_article(
        self, info: Info, article_id: strawberry.ID, helpful: bool
    ) -> KbArticlePayload:
        result = await run_service(
            info,
            lambda s, p: vote_article(s, p, node_pk(article_id, "KbArticle", "articleId"), helpful),
            at=(),
        )
        return _kb_article_payload(result)

    @strawberry.mutation(
        description="Record that an article helped solve a ticket; linking again changes nothing.",
        permission_classes=LINK,
    )
    async def link_kb_article_to_ticket(
        self, info: Info, article_id: strawberry.ID, ticket_id: strawberry.ID
    ) -> KbArticleTicketLinkPayload:
        return await _link(info, article_id, ticket_id, True)

    @strawberry.mutation(
        description="Remove the link between an article and a ticket.", permission_classes=LINK
    )
    async def unlink_kb_article_from_ticket(
        self, info: Info, article_id: strawberry.ID, ticket_id: strawberry.ID
    ) -> KbArticleTicketLinkPayload:
        return await _link(info, article_id, ticket_id, False)


async def _publish(
    info: Info, global_id: strawberry.ID, published: bool, expected_version: int | None
) -> models.KbArticle | list[UserError]:
    return await run_service(
        info,
        lambda s, p: set_published(
            s, p, node_pk(global_id, "KbArticle"), published, expected_version
        ),
        at=(),
    )


async def _link(
    info: Info, article_id: strawberry.ID, ticket_id: strawberry.ID, linked: bool
) -> KbArticleTicketLinkPayload:
    operation = link_article if linked else unlink_article
    result = await run_service(
        info,
        lambda s, p: operation(
            s,
            p,
            node_pk(article_id, "KbArticle", "articleId"),
            node_pk(ticket_id, "Ticket", "ticketId"),
        ),
        at=(),
    )
    if isinstance(result, list):
        return KbArticleTicketLinkPayload(kb_article=None, ticket=None, errors=result)
    article, ticket = result
    return KbArticleTicketLinkPayload(
        kb_article=KbArticle.from_row(article), ticket=Ticket.from_row(ticket), errors=[]
    )
