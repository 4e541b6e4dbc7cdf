"""A third-party connector, pip-installed from its own package, found through the
`crm.connectors` entry point group and fed over real HTTP like a built-in one."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from integrations.registry import connectors, reload_connectors
from kernel.tables import table_of
from models import Contact
from tests.conftest import ROOT, GraphQLClient
from tests.integrations.conftest import Sender

PACKAGE = ROOT / "tests" / "fixtures" / "example_connector"
MODULE = "crm_example_connector"


@pytest.fixture
def example_connector(tmp_path: Path) -> Iterator[None]:
    """The example package installed (a real pip install) into a directory put on sys.path;
    removed again, and the connectors rediscovered, afterwards."""
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = shutil.copytree(PACKAGE, tmp_path / "src")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            # setuptools comes with the dev dependencies: the build needs no index.
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        timeout=120,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    reload_connectors()
    try:
        yield
    finally:
        sys.path.remove(str(target))
        sys.modules.pop(MODULE, None)
        importlib.invalidate_caches()
        reload_connectors()
        assert "example" not in connectors()


@pytest.mark.usefixtures("example_connector")
async def test_installed_connector_is_listed_and_applies_its_records(
    gql: GraphQLClient, connect: Any, sender: Sender, session_factory: Any
) -> None:
    data = await gql("{ connectors { name recordTypes scope defaultFieldOwnership } }")
    listed = {connector["name"]: connector for connector in data["connectors"]}
    assert {"erp", "hrm", "example"} <= set(listed)
    assert listed["example"] == {
        "name": "example",
        "recordTypes": ["lead"],
        "scope": "connector:example",
        "defaultFieldOwnership": {"contact": {"email": "source"}},
    }

    connection, secret = await connect("example")
    lead = {
        "type": "lead",
        "id": "L-1",
        "updated_at": "2026-11-01T10:00:00Z",
        "data": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    }
    results = await sender.results(connection, secret, [lead])

    assert [(r["outcome"], r["entity_type"]) for r in results] == [("applied", "contact")]
    async with session_factory() as session:
        contact = (await session.execute(select(table_of(Contact)))).one()
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert results[0]["entity_id"] == str(contact.id)
