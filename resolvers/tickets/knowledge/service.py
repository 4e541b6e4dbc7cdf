"""Writing articles: create, edit, publish, unpublish, trash and restore (knowledge:write)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules, get_row, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import row_to_dict, table_of
from models import ArticleStatus, KbArticle, User, utcnow

MAX_TAGS = 20

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


class KbArticleCreate(InputModel):
    title: Title
    body: Body
    category: Category | None = None
    tags: Tags = []


class KbArticleUpdate(InputModel):
    """The API's changes plus `status`, which only publishing and unpublishing set."""

    title: Title | None = None
    body: Body | None = None
    category: Category | None = None
    tags: Tags | None = None
    status: ArticleStatus | None = None


async def _derive_article(
    session: AsyncSession, principal: Principal, change: Change[KbArticle]
) -> None:
    values = change.values
    if change.created and change.row.author_id is None and principal.user_id is not None:
        values["author_id"] = principal.user_id
    if values.get("tags") is not None:
        values["tags"] = list(dict.fromkeys(values["tags"]))
    elif "tags" in values:
        values["tags"] = []
    if values.get("status") == ArticleStatus.PUBLISHED:
        values["published_at"] = utcnow()


async def _record_published(
    session: AsyncSession, principal: Principal, change: Change[KbArticle]
) -> None:
    """`kb_article.published` beside `kb_article.updated`."""
    row = change.row
    if not change.created and change.values.get("status") == ArticleStatus.PUBLISHED:
        data = row_to_dict(row, table_of(KbArticle))
        record_event(
            session, principal, "kb_article.published", "kb_article", row.id, row.version, data
        )


KB_ARTICLE_RULES = EntityRules(
    model=KbArticle,
    entity="kb_article",
    create_input=KbArticleCreate,
    update_input=KbArticleUpdate,
    references={"author_id": User},
    unique=(),
    before_write=_derive_article,
    after_write=_record_published,
)


async def set_published(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    published: bool,
    expected_version: int | None = None,
) -> KbArticle:
    """Publish a draft (readers then see it) or take a published article back to draft;
    INVALID_STATE when it already is."""
    row = await get_row(session, principal, KB_ARTICLE_RULES, article_id)
    status = ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT
    if row.status == status and row.deleted_at is None:
        raise ServiceError.single(ErrorCode.INVALID_STATE, f"the article is already {status}", "id")
    return await update_entity(
        session, principal, KB_ARTICLE_RULES, article_id, {"status": status}, expected_version
    )
