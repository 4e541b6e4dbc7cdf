"""Contact phones and interaction notes are encrypted at rest; keys rotate without downtime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.principal import SYSTEM
from kernel.tables import table_of
from models import Contact, Interaction
from models.encryption import Keyring, current_keyring, install_keyring, phone_hash
from resolvers.privacy.keys import rotate_keys

HASH_KEY = b"h" * 32


@pytest.fixture
def keyring() -> Iterator[Any]:
    """Installs keyrings for one test and puts the suite's back afterwards."""
    suite = current_keyring()
    yield lambda *keys: install_keyring(Keyring(keys, HASH_KEY))
    install_keyring(suite)


async def _stored(session_factory: async_sessionmaker[AsyncSession], column: Any) -> Any:
    async with session_factory() as session:
        return await session.scalar(select(cast(column, Text)))


async def test_the_phone_column_holds_no_plaintext(make: Any, session_factory: Any) -> None:
    await make.contact(phone="+49 30 1234567")

    stored = await _stored(session_factory, Contact.phone)

    assert "1234567" not in stored
    assert current_keyring().decrypt(stored) == "+49 30 1234567"


async def test_the_interaction_summary_holds_no_plaintext(make: Any, session_factory: Any) -> None:
    contact = await make.contact()
    await make.interaction(contact_id=contact.id, summary="Prefers calls after 5pm")

    stored = await _stored(session_factory, Interaction.summary)

    assert "5pm" not in stored


async def test_reads_decrypt(make: Any, session_factory: Any) -> None:
    contact = await make.contact(phone="+49 30 1234567")

    async with session_factory() as session:
        loaded = await session.get(Contact, contact.id)

    assert loaded is not None
    assert loaded.phone == "+49 30 1234567"


async def test_the_phone_hash_ignores_formatting(make: Any, session_factory: Any) -> None:
    await make.contact(phone="+49 (30) 123-4567")

    async with session_factory() as session:
        stored = await session.scalar(select(table_of(Contact).c.phone_hash))

    assert stored == phone_hash("+49301234567")


async def test_rotation_re_encrypts_under_the_first_key(
    make: Any, session_factory: Any, keyring: Any
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keyring(old)
    contact = await make.contact(phone="+49 30 1234567")
    await make.interaction(contact_id=contact.id, summary="Note")
    keyring(new, old)

    counts = await rotate_keys(session_factory, SYSTEM, batch_size=1)

    mine = {name: counts[name] for name in ("contacts.phone", "interactions.summary")}
    assert mine == {"contacts.phone": 1, "interactions.summary": 1}
    keyring(new)
    async with session_factory() as session:
        assert (await session.get(Contact, contact.id)).phone == "+49 30 1234567"


async def test_after_rotation_the_old_key_alone_no_longer_reads(
    make: Any, session_factory: Any, keyring: Any
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keyring(old)
    await make.contact(phone="+49 30 1234567")
    keyring(new, old)
    await rotate_keys(session_factory, SYSTEM)

    keyring(old)

    async with session_factory() as session:
        with pytest.raises(InvalidToken):
            await session.scalar(select(table_of(Contact).c.phone))


async def test_during_rotation_rows_under_either_key_are_read(
    make: Any, session_factory: Any, keyring: Any
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keyring(old)
    await make.contact(first_name="Before", phone="111")
    keyring(new, old)
    await make.contact(first_name="After", phone="222")

    async with session_factory() as session:
        contacts = table_of(Contact)
        rows = (await session.execute(select(contacts.c.first_name, contacts.c.phone))).all()

    assert sorted(rows) == [("After", "222"), ("Before", "111")]
