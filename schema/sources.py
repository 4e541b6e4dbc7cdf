"""What a field reads, declared on the field itself, for executors that plan a whole document.

Each list, relation and personal-data field of the schema carries one of these in its strawberry
``metadata`` under ``SOURCE``. The resolvers do not need them; the planned executor
(`schema.planner`) reads them to fetch a whole level of objects at once and build the answer
without calling a resolver per object. A field without a source (and not a plain column) is one
the planner does not cover: the operation is then executed by graphql-core as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel.loaders import ToMany

SOURCE = "crm.source"


@dataclass(frozen=True)
class RootList:
    """A top-level list of ``type_key`` rows (`list_field`)."""

    type_key: str
    default_order: str
    searchable: bool


@dataclass(frozen=True)
class Children:
    """A nested connection over ``relation`` (`connection_field`)."""

    relation: ToMany
    default_order: str


@dataclass(frozen=True)
class Parent:
    """A to-one relation: the ``type_key`` row whose id the parent's ``key`` column holds."""

    key: str
    type_key: str


@dataclass(frozen=True)
class Personal:
    """A column of personal data, masked by ``mask`` for principals without `pii:read`."""

    column: str
    mask: Callable[[Any], Any]


@dataclass(frozen=True)
class NodeLookup:
    """`node(id:)` (``many`` false) or `nodes(ids:)` (``many`` true)."""

    many: bool


def source(value: object) -> dict[str, object]:
    """The strawberry ``metadata`` of a field that reads ``value``."""
    return {SOURCE: value}
