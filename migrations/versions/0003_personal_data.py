"""personal data: consents, encrypted contact phones and interaction notes, erasure marker

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:45:03.712070

Existing phone numbers and interaction summaries are encrypted here with the keys of the
environment the migration runs in (CRM_ENCRYPTION_KEYS, CRM_HASH_KEY; see docs/security.md).
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

import models.base
from app.crypto import keyring_from_settings
from app.settings import get_settings
from models.encryption import Keyring, normalize_phone


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _rewrite(
    table_name: str, source: str, values: Callable[[str], dict[str, str | None]]
) -> None:
    """Write ``values(value)`` for every non-null value of a column, in keyset batches by id."""
    table = sa.table(
        table_name,
        sa.column('id', sa.Uuid()),
        sa.column(source, sa.Text()),
        *(sa.column(name, sa.Text()) for name in ('phone_hash', 'sealed', 'plain')),
    )
    bind = op.get_bind()
    after = None
    while True:
        statement = (
            sa.select(table.c.id, table.c[source])
            .where(table.c[source].is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        )
        if after is not None:
            statement = statement.where(table.c.id > after)
        rows = bind.execute(statement).all()
        if not rows:
            return
        for row_id, value in rows:
            bind.execute(sa.update(table).where(table.c.id == row_id).values(**values(value)))
        after = rows[-1][0]


def _replace_column(table: str, column: str, new: sa.Column, convert: Callable[[str], dict[str, str | None]]) -> None:
    """Swap a column for one of another type, converting each value.

    Add, copy, drop, rename: SQLite does each in place (a batch copy of the table would trip
    the foreign keys of the tables that refer to it).
    """
    op.add_column(table, new)
    _rewrite(table, column, convert)
    op.drop_column(table, column)
    op.alter_column(table, new.name, new_column_name=column)


def _keyring() -> Keyring:
    return keyring_from_settings(get_settings())


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("purpose IN ('marketing_email', 'marketing_phone', 'profiling', 'third_party_sharing')", name='ck_consents_purpose'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_consents_contact_purpose', ['contact_id', 'purpose', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_occurred_at'), ['occurred_at'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_contacts_phone_hash'), ['phone_hash'], unique=False)

    keyring = _keyring()
    # Fernet tokens are longer than any phone number: the column becomes TEXT.
    _replace_column('contacts', 'phone', sa.Column('sealed', sa.Text(), nullable=True), lambda phone: {
        'sealed': keyring.encrypt(phone),
        'phone_hash': keyring.digest(normalize_phone(phone)),
    })
    _rewrite('interactions', 'summary', lambda summary: {'summary': keyring.encrypt(summary)})


def downgrade() -> None:
    keyring = _keyring()
    _rewrite('interactions', 'summary', lambda token: {'summary': keyring.decrypt(token)})
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_phone_hash'))
    _replace_column('contacts', 'phone', sa.Column('plain', sa.String(length=50), nullable=True), lambda token: {
        'plain': keyring.decrypt(token),
    })
    op.drop_column('contacts', 'erased_at')
    op.drop_column('contacts', 'phone_hash')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=False)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_occurred_at'))
        batch_op.drop_index('ix_consents_contact_purpose')
        batch_op.drop_index(batch_op.f('ix_consents_contact_id'))

    op.drop_table('consents')
