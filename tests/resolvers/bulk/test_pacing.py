"""An import's read-ahead runs only while its writer waits on a long write."""

from __future__ import annotations

import asyncio

from resolvers.bulk.pacing import Pacer, long_write, pacing


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_read_ahead_waits_while_the_writer_holds_the_gate() -> None:
    pacer = Pacer()
    pacer.hold()
    step = asyncio.create_task(pacer.turn())

    await _settle()

    assert not step.done()
    pacer.release()
    await _settle()
    assert step.done()


async def test_a_long_write_opens_the_gate_only_while_it_waits() -> None:
    pacer = Pacer()
    pacer.hold()
    with pacing(pacer):
        with long_write():
            during = asyncio.create_task(pacer.turn())
            await _settle()
            assert during.done()
        after = asyncio.create_task(pacer.turn())
        await _settle()

    assert not after.done()
    after.cancel()


async def test_a_long_write_outside_an_import_changes_nothing() -> None:
    pacer = Pacer()
    pacer.hold()
    with long_write():
        step = asyncio.create_task(pacer.turn())
        await _settle()

    assert not step.done()
    step.cancel()
