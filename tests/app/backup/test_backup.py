"""Backups: `dump_all` then `restore_all` into an empty database gives back every row of every
table (ids, relations, history, ciphertext), and the restored database behaves the same."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, null, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from app.backup import BackupError, BackupManifest, dump_all, restore_all
from app.backup.tables import backup_codecs
from app.cli import main as cli
from app.db import create_engine, create_session_factory
from app.http.asgi import create_app
from app.migrations import upgrade_to_head
from app.settings import Settings
from kernel.crud import create_entity
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import (
    ArticleStatus,
    AuditEntry,
    BusinessCalendar,
    Connection,
    Customer,
    Event,
    ExportJob,
    ExternalRef,
    IdempotencyKey,
    ImportJob,
    ImportRowError,
    InboundMessage,
    KbArticle,
    KbArticleTicket,
    KbArticleVote,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SlaTargetKind,
    TicketPriority,
    User,
)
from resolvers.campaigns.automation.engine import EngineSettings, process_pending
from resolvers.customers.service import CUSTOMER_RULES
from schema.campaigns.automation import conditions_filter
from schema.ids import decode_id
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.webhooks.conftest import LOOPBACK
from tests.webhooks.receiver import Receiver, running
from webhooks.dispatcher import Dispatcher, DispatchSettings
from webhooks.endpoints import create_endpoint

# --- the target database: migrated once per module, emptied after each test ---


@pytest.fixture(scope="module")
async def target_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An empty database migrated to head: a second SQLite file, or on PostgreSQL a second
    database named after the test database (created here, dropped at the end)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('restore') / 'restored.db'}"
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
        return
    source = make_url(database_url)
    target = source.set(database=f"{source.database}_restore")
    admin = create_async_engine(source, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
            await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        url = target.render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture
async def target(settings: Settings, target_url: str) -> AsyncIterator[Settings]:
    """The settings of the empty target database; it is emptied again after the test."""
    yield settings.model_copy(update={"database_url": target_url})
    engine = create_engine(target_url)
    try:
        async with engine.begin() as connection:
            tables = list(reversed(SQLModel.metadata.sorted_tables))
            if engine.dialect.name == "postgresql":
                await connection.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)}"))
            else:
                for table in tables:
                    await connection.execute(table.delete())
    finally:
        await engine.dispose()


# --- a rich dataset, made through the API and the services ---

CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id } errors { code } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { id } errors { code } } }"""
RECORD_CONSENT = """mutation($input: RecordConsentInput!) {
  recordConsent(input: $input) { errors { code } } }"""
CREATE_DEAL = """mutation($input: CreateDealInput!) {
  createDeal(input: $input) { deal { id } errors { code } } }"""
UPDATE_DEAL = """mutation($id: ID!, $input: UpdateDealInput!) {
  updateDeal(id: $id, input: $input) { errors { code } } }"""
SET_ITEMS = """mutation($deal: ID!, $items: [DealLineItemInput!]!) {
  setDealLineItems(dealId: $deal, items: $items) { errors { code } } }"""
CREATE_TICKET = """mutation($input: CreateTicketInput!) {
  createTicket(input: $input) { ticket { id } errors { code } } }"""
CREATE_COMMENT = """mutation($input: CreateTicketCommentInput!) {
  createTicketComment(input: $input) { errors { code } } }"""
CREATE_API_CLIENT = """mutation {
  createApiClient(input: {name: "ERP", scopes: ["customers:read"]}) { errors { code } } }"""
CREATE_CONNECTION = """mutation {
  createConnection(input: {name: "erp", connector: "erp", settings: {region: "eu"}}) {
    errors { code } } }"""

CREATE_SEGMENT = """mutation {
  createSegment(input: {name: "Ada", entityType: CONTACT, filter: {firstName: {eq: "Ada"}}}) {
    segment { id } errors { code } } }"""
FREEZE_SEGMENT = """mutation($id: ID!) { freezeSegment(id: $id) { errors { code } } }"""

NESTED = """{
  customers(first: 10, orderBy: {field: NAME}) { nodes {
    id name tags owner { name }
    contacts(first: 5) { nodes { id firstName email phone } }
    deals(first: 5) { nodes { id name amount stage { name } lostReason { name }
      lineItems { nodes { quantity unitPrice amount product { sku } } } } }
    tickets(first: 5) { nodes { subject comments(first: 5) { nodes { body } } } }
  } }
}"""


def _ok(payload: dict[str, Any]) -> dict[str, Any]:
    [result] = payload.values()
    assert result["errors"] == [], result
    return result  # type: ignore[no-any-return]


async def _seed(gql: GraphQLClient, make: Any, session_factory: Any, receiver: Receiver) -> None:
    """Every table gets rows, through the API and the services where they exist."""
    team = await make.team()
    boss = await make.user(team_id=team.id, role="sales_manager")
    rep = await make.user(team_id=team.id, manager_id=boss.id)
    async with unit_of_work(session_factory) as session:
        await create_endpoint(
            session, SYSTEM, {"url": receiver.url, "event_types": ["customer.*"]}, LOOPBACK
        )
    await make.automation_rule(trigger="contact.created")
    customer = _ok(
        await gql(
            CREATE_CUSTOMER,
            {"input": {"name": "Acme", "tags": ["key", "eu"], "ownerId": gid("User", rep)}},
        )
    )["customer"]["id"]
    await _sales(gql, make, customer)
    await _marketing(make)
    ticket = _ok(
        await gql(CREATE_TICKET, {"input": {"subject": "Login fails", "customerId": customer}})
    )["ticket"]["id"]
    _ok(await gql(CREATE_COMMENT, {"input": {"ticketId": ticket, "body": "Reset the password"}}))
    _ok(await gql(CREATE_API_CLIENT))
    _ok(await gql(CREATE_CONNECTION))
    segment = _ok(await gql(CREATE_SEGMENT))["segment"]["id"]
    _ok(await gql(FREEZE_SEGMENT, {"id": segment}))
    await _knowledge_base(session_factory, rep, ticket)
    await _rows_without_an_api_yet(session_factory, decode_id(ticket)[1])
    await _background_work(session_factory)


async def _sales(gql: GraphQLClient, make: Any, customer: str) -> None:
    """A contact with an encrypted phone and a consent; one deal won through the stages (with
    line items), one lost with a reason; a purchase and an interaction with encrypted notes."""
    _, stages = await make.pipeline()
    contact = _ok(
        await gql(
            CREATE_CONTACT,
            {"input": {"customerId": customer, "firstName": "Ada", "phone": "+49 30 1234"}},
        )
    )["contact"]["id"]
    _ok(
        await gql(
            RECORD_CONSENT,
            {"input": {"contactId": contact, "purpose": "MARKETING_EMAIL", "granted": True}},
        )
    )
    reason = await make.lost_reason(name="Price")
    product = await make.product(sku="SEAT", prices=[{"currency": "EUR", "unit_price": "49.99"}])
    deal = {"customerId": customer, "amount": "100", "currency": "EUR", "contactId": contact}
    won, lost = [
        _ok(await gql(CREATE_DEAL, {"input": {**deal, "name": name}}))["deal"]["id"]
        for name in ("Seats", "Setup")
    ]
    for stage in stages[1:3]:
        _ok(await gql(UPDATE_DEAL, {"id": won, "input": {"stageId": gid("Stage", stage)}}))
    item = {"productId": gid("Product", product), "quantity": "3"}
    _ok(await gql(SET_ITEMS, {"deal": won, "items": [item]}))
    lose = {"stageId": gid("Stage", stages[3]), "lostReasonId": gid("LostReason", reason)}
    _ok(await gql(UPDATE_DEAL, {"id": lost, "input": lose}))
    other = await make.customer(name="Globex")
    await make.purchase(customer_id=other.id)
    await make.interaction(customer_id=other.id, summary="Spoke about renewal terms")
    await make.exchange_rate("USD", "0.92", date(2026, 1, 2))


async def _marketing(make: Any) -> None:
    """A campaign under a parent campaign, with a member and a cost."""
    parent = await make.campaign(name="Spring")
    child = await make.campaign(name="Spring: email", parent_id=parent.id)
    member = await make.opted_in_contact(customer_id=(await make.customer(name="Initech")).id)
    await make.member(campaign_id=child.id, contact_id=member.id)
    await make.campaign_cost(child.id, "250.00")


async def _background_work(session_factory: Any) -> None:
    """The automation engine runs its rule (runs, cursor); the dispatcher delivers the customer
    events (deliveries, attempts); and an audit entry with SQL NULL `changes` beside the ones
    holding JSON null."""
    await process_pending(session_factory, conditions_filter, EngineSettings())
    dispatcher = Dispatcher(
        session_factory,
        DispatchSettings(allow_http=True, allowed_networks=LOOPBACK.allowed_networks),
    )
    try:
        assert await dispatcher.run_once() > 0
    finally:
        await dispatcher.aclose()
    async with unit_of_work(session_factory) as session:
        await session.execute(
            insert(table_of(AuditEntry)).values(actor="tests", action="probe", changes=null())
        )


async def _rows_without_an_api_yet(session_factory: Any, ticket_id: uuid.UUID) -> None:
    """Service-desk SLAs, bulk jobs and partner replay guards, as their services would store them."""
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    async with unit_of_work(session_factory) as session:
        calendar = BusinessCalendar(
            name="Berlin office", time_zone="Europe/Berlin", holidays=["2026-12-25"]
        )
        policy = SlaPolicy(name="Gold", customer_tier="gold", calendar_id=calendar.id)
        job = ImportJob(
            entity_type="customers", file_path="/files/in.csv", options={"delimiter": ";"}
        )
        connection = Connection(name="hrm", connector="erp", secret="whsec_x")
        session.add_all([calendar, policy, job, connection])
        await session.flush()
        session.add_all(
            [
                SlaTarget(
                    policy_id=policy.id, priority=TicketPriority.HIGH, first_response_minutes=60
                ),
                SlaBreach(ticket_id=ticket_id, kind=SlaTargetKind.FIRST_RESPONSE, due_at=at),
                ImportRowError(
                    job_id=job.id,
                    row_number=7,
                    column="email",
                    code="VALIDATION",
                    message="not an email",
                ),
                ExportJob(entity_type="deals", filter={"amount": {"gt": "10"}}, expires_at=at),
                IdempotencyKey(
                    actor="client:erp",
                    key="k-1",
                    request_hash="0" * 64,
                    status_code=200,
                    response="{}",
                    expires_at=at,
                ),
                InboundMessage(
                    connection_id=connection.id, message_id="msg-1", results=[{"status": "applied"}]
                ),
                ExternalRef(
                    connection_id=connection.id,
                    entity_type="customer",
                    external_id="E-1",
                    entity_id=ticket_id,
                    source_updated_at=at,
                ),
            ]
        )


async def _knowledge_base(session_factory: Any, author: User, ticket_gid: str) -> None:
    """Articles (no API of their own yet): one published and linked to a ticket, one draft."""
    ticket_id = decode_id(ticket_gid)[1]
    async with unit_of_work(session_factory) as session:
        article = KbArticle(
            title="Resetting a forgotten password",
            body="Open the sign-in page and choose the reset link.",
            category="Accounts",
            tags=["login"],
            status=ArticleStatus.PUBLISHED,
            author_id=author.id,
            published_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        session.add(article)
        session.add(KbArticle(title="Invoices", body="Where invoices are kept."))
        await session.flush()
        session.add(KbArticleTicket(article_id=article.id, ticket_id=ticket_id))
        session.add(KbArticleVote(article_id=article.id, voter="user:x", helpful=True))


# --- comparing databases ---


async def _contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value of every table (ciphertext as stored, SQL NULL apart from JSON null)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                codec.name: [tuple(row) for row in await connection.execute(codec.select_all())]
                for codec in backup_codecs()
            }
    finally:
        await engine.dispose()


async def _round_trip(
    settings: Settings, target: Settings, directory: Path
) -> tuple[BackupManifest, BackupManifest]:
    dumped = await dump_all(settings, directory)
    restored = await restore_all(target, directory)
    return dumped, restored


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running(Receiver()) as started:
        yield started


@pytest.fixture
async def seeded(gql: GraphQLClient, make: Any, session_factory: Any, receiver: Receiver) -> None:
    await _seed(gql, make, session_factory, receiver)


# --- the round trip ---


@pytest.mark.usefixtures("seeded")
async def test_restore_reproduces_every_row_of_every_table(
    settings: Settings, target: Settings, tmp_path: Path
) -> None:
    await _round_trip(settings, target, tmp_path / "backup")

    source, restored = await _contents(settings.database_url), await _contents(target.database_url)

    assert restored == source
    empty = {name for name, rows in source.items() if not rows}
    assert empty <= {
        "idempotency_keys",
        "inbound_messages",
        "import_jobs",
        "import_errors",
        "export_jobs",
        "external_refs",
        "segments",
        "segment_members",
        "exchange_rates",
        "sla_policies",
        "sla_targets",
        "sla_breaches",
        "business_calendars",
    }, empty


@pytest.mark.usefixtures("seeded")
async def test_manifest_counts_every_table_and_checksums_its_file(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    manifest = await dump_all(settings, tmp_path / "backup")

    written = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert BackupManifest.from_json(written) == manifest
    async with engine.connect() as connection:
        for entry in manifest.tables:
            table = SQLModel.metadata.tables[entry.table]
            count = await connection.scalar(select(func.count()).select_from(table))
            assert entry.rows == count, entry.table
            lines = (tmp_path / "backup" / entry.file).read_text().splitlines()
            assert len(lines) == count
    assert [entry.table for entry in manifest.tables] == [
        t.name for t in SQLModel.metadata.sorted_tables
    ]
    assert manifest.row_counts["deal_stage_changes"] >= 4
    assert len({entry.sha256 for entry in manifest.tables if entry.rows}) == len(
        [entry for entry in manifest.tables if entry.rows]
    )


@pytest.mark.usefixtures("seeded")
async def test_the_restored_database_answers_the_same_nested_query(
    settings: Settings, target: Settings, gql: GraphQLClient, admin_token: str, tmp_path: Path
) -> None:
    await _round_trip(settings, target, tmp_path / "backup")

    restored_app = create_app(target)
    try:
        transport = httpx.ASGITransport(app=restored_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
            restored = await GraphQLClient(http, admin_token)(NESTED)
    finally:
        await restored_app.state.engine.dispose()

    original = await gql(NESTED)
    assert restored == original
    [acme] = [c for c in restored["customers"]["nodes"] if c["name"] == "Acme"]
    assert acme["contacts"]["nodes"][0]["phone"] == "+49 30 1234"  # decrypted with the same keys
    assert {d["stage"]["name"] for d in acme["deals"]["nodes"]} == {"Won", "Lost"}


@pytest.mark.usefixtures("seeded")
async def test_new_events_and_audit_entries_continue_after_the_restored_ones(
    settings: Settings, target: Settings, tmp_path: Path
) -> None:
    await _round_trip(settings, target, tmp_path / "backup")
    engine = create_engine(target.database_url)
    events, audit = table_of(Event), table_of(AuditEntry)
    try:
        async with engine.connect() as connection:
            last_event = await connection.scalar(select(func.max(events.c.position)))
            last_audit = await connection.scalar(select(func.max(audit.c.position)))
        async with unit_of_work(create_session_factory(engine)) as session:
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "After the restore"})
        async with engine.connect() as connection:
            new_event = await connection.scalar(
                select(func.max(events.c.position)).where(events.c.type == "customer.created")
            )
            new_audit = await connection.scalar(select(func.max(audit.c.position)))
    finally:
        await engine.dispose()

    assert new_event == last_event + 1
    assert new_audit == last_audit + 1


@pytest.mark.usefixtures("seeded")
async def test_restored_articles_are_found_by_full_text_search(
    settings: Settings, target: Settings, tmp_path: Path
) -> None:
    await _round_trip(settings, target, tmp_path / "backup")

    engine = create_engine(target.database_url)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                found = await connection.scalars(
                    text(
                        "SELECT title FROM kb_articles "
                        "WHERE search_vector @@ plainto_tsquery('english', 'passwords reset')"
                    )
                )
            else:
                found = await connection.scalars(
                    text(
                        "SELECT a.title FROM kb_articles_fts f "
                        "JOIN kb_articles a ON a.id = f.article_id "
                        "WHERE kb_articles_fts MATCH 'passwords reset'"
                    )
                )
            titles = list(found)
    finally:
        await engine.dispose()

    assert titles == ["Resetting a forgotten password"]


async def test_sql_null_and_json_null_stay_apart(
    settings: Settings, target: Settings, session_factory: Any, tmp_path: Path
) -> None:
    audit = table_of(AuditEntry)
    async with unit_of_work(session_factory) as session:
        await session.execute(insert(audit).values(actor="a", action="sql-null", changes=null()))
        session.add(AuditEntry(actor="a", action="json-null", changes=None))

    await _round_trip(settings, target, tmp_path / "backup")

    engine = create_engine(target.database_url)
    try:
        async with engine.connect() as connection:
            sql_nulls = await connection.scalars(
                select(audit.c.action).where(audit.c.changes.is_(None))
            )
            assert list(sql_nulls) == ["sql-null"]
    finally:
        await engine.dispose()


async def test_self_references_are_restored_whatever_the_row_order(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    # Managers created after their reports, so some rows point at rows that follow them.
    top = await make.user()
    chain = [top]
    for _ in range(5):
        chain.append(await make.user(manager_id=chain[-1].id))
    users = table_of(User)

    await _round_trip(settings, target, tmp_path / "backup")

    engine = create_engine(target.database_url)
    try:
        async with engine.connect() as connection:
            managers = dict(
                (await connection.execute(select(users.c.id, users.c.manager_id))).all()
            )
    finally:
        await engine.dispose()
    assert managers == {u.id: u.manager_id for u in chain}


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL beside SQLite"
)
@pytest.mark.usefixtures("seeded")
async def test_a_postgresql_backup_restores_into_sqlite(settings: Settings, tmp_path: Path) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'moved.db'}"
    await asyncio.to_thread(upgrade_to_head, sqlite_url)

    await _round_trip(
        settings, settings.model_copy(update={"database_url": sqlite_url}), tmp_path / "backup"
    )

    assert await _contents(sqlite_url) == await _contents(settings.database_url)


async def test_the_dump_reads_one_snapshot_while_others_write(
    settings: Settings, make: Any, tmp_path: Path
) -> None:
    await make.team()  # teams are dumped before customers
    await make.customer(name="Before")

    def commit_a_customer_meanwhile(table: str, rows: int) -> None:
        if table != "teams":
            return

        async def write() -> None:
            engine = create_engine(settings.database_url)
            async with unit_of_work(create_session_factory(engine)) as session:
                await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "During"})
            await engine.dispose()

        # Committed from another thread (and connection) while the dump waits for it.
        thread = threading.Thread(target=asyncio.run, args=(write(),))
        thread.start()
        thread.join()

    manifest = await dump_all(settings, tmp_path / "backup", progress=commit_a_customer_meanwhile)

    assert manifest.row_counts["customers"] == 1
    assert manifest.row_counts["events"] == 1  # the customer.created of "Before" only
    names = await _customer_names(settings.database_url)
    assert names == ["Before", "During"]


async def _customer_names(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            customers = table_of(Customer)
            return list(
                await connection.scalars(select(customers.c.name).order_by(customers.c.name))
            )
    finally:
        await engine.dispose()


# --- refusals: nothing is written ---


async def _is_empty(url: str) -> bool:
    return not any((await _contents(url)).values())


async def test_restore_refuses_a_database_that_is_not_empty(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    await make.customer(name="Source")
    await dump_all(settings, tmp_path / "backup")
    engine = create_engine(target.database_url)
    async with unit_of_work(create_session_factory(engine)) as session:
        await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Already here"})
    await engine.dispose()

    with pytest.raises(BackupError, match=r"not empty \(.*customers"):
        await restore_all(target, tmp_path / "backup")


async def test_restore_refuses_a_backup_of_another_schema_revision(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    await make.customer()
    await dump_all(settings, tmp_path / "backup")
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["alembic_revision"] = "0009"
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(BackupError, match="backup at 0009"):
        await restore_all(target, tmp_path / "backup")
    assert await _is_empty(target.database_url)


async def test_restore_refuses_a_damaged_file(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    await make.customer(name="Acme")
    await dump_all(settings, tmp_path / "backup")
    damaged = tmp_path / "backup" / "customers.jsonl"
    damaged.write_text(damaged.read_text().replace("Acme", "Acne"))

    with pytest.raises(BackupError, match=r"customers\.jsonl does not match its checksum"):
        await restore_all(target, tmp_path / "backup")
    assert await _is_empty(target.database_url)


async def test_a_restore_failing_half_way_leaves_nothing_behind(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    # The contacts are loaded after the customers; a wrong count there fails the whole restore.
    await make.contact(customer_id=(await make.customer()).id)
    await dump_all(settings, tmp_path / "backup")
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    [contacts] = [entry for entry in manifest["tables"] if entry["table"] == "contacts"]
    contacts["rows"] = 2
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(BackupError, match="holds 1 rows, the manifest says 2"):
        await restore_all(target, tmp_path / "backup")
    assert await _is_empty(target.database_url)


async def test_restore_refuses_keys_that_cannot_decrypt_the_backup(
    settings: Settings, target: Settings, make: Any, tmp_path: Path
) -> None:
    await make.contact(phone="+1 555 0100")
    await dump_all(settings, tmp_path / "backup")
    other_keys = target.model_copy(update={"crm_secret_key": "another-development-key-" * 2})

    with pytest.raises(BackupError, match=r"contacts\.phone was encrypted with keys"):
        await restore_all(other_keys, tmp_path / "backup")
    assert await _is_empty(target.database_url)


async def test_dump_refuses_a_directory_that_is_not_empty(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "old.txt").write_text("keep me")

    with pytest.raises(BackupError, match="is not empty"):
        await dump_all(settings, tmp_path)
    assert await asyncio.to_thread(os.listdir, tmp_path) == ["old.txt"]


async def test_restore_refuses_a_directory_without_a_manifest(
    target: Settings, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match=r"manifest\.json not found"):
        await restore_all(target, tmp_path)


# --- the command line ---


async def test_crm_export_all_then_import_all_round_trips_the_database(
    run: Any,
    make: Any,
    settings: Settings,
    target: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await make.customer(name="Round Trip GmbH")
    await make.contact(customer_id=customer.id, email="ada@roundtrip.example")

    await run("export", "--all", str(tmp_path / "backup"))
    monkeypatch.setattr(cli, "get_settings", lambda: target)
    restored = await run("import", "--all", str(tmp_path / "backup"))

    assert (tmp_path / "backup" / "manifest.json").is_file()
    assert "tables restored from" in restored
    assert await _contents(target.database_url) == await _contents(settings.database_url)


async def test_crm_import_all_into_a_database_with_rows_exits_with_the_reason(
    run: Any, make: Any, target: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make.customer(name="Already Here")
    await run("export", "--all", str(tmp_path / "backup"))
    await restore_all(target, tmp_path / "backup")
    monkeypatch.setattr(cli, "get_settings", lambda: target)

    with pytest.raises(SystemExit, match="not empty"):
        await run("import", "--all", str(tmp_path / "backup"))
