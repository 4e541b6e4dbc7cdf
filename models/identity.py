"""Users and teams (synced from the HRM) and API clients (OAuth2 client credentials)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field

from models.base import Entity, UTCDateTime, empty_list, enum_check


class Role(StrEnum):
    ADMIN = "admin"
    SALES_MANAGER = "sales_manager"
    SALES_REP = "sales_rep"
    MARKETING = "marketing"
    SUPPORT = "support"
    READ_ONLY = "read_only"


class TicketAssignment(StrEnum):
    """How new tickets for a team find an assignee."""

    NONE = "none"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class Team(Entity, table=True):
    __tablename__ = "teams"
    __table_args__ = (
        enum_check("ticket_assignment", TicketAssignment, "ck_teams_ticket_assignment"),
    )

    name: str = Field(sa_type=String(200), unique=True)
    ticket_assignment: TicketAssignment = Field(
        default=TicketAssignment.NONE,
        sa_type=String(32),
        sa_column_kwargs={"server_default": "none"},
    )
    # Round-robin position: the member who got the last ticket (no foreign key: users point here).
    last_assigned_user_id: uuid.UUID | None = Field(default=None)


class User(Entity, table=True):
    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role, "ck_users_role"),
        UniqueConstraint("external_id", name="uq_users_external_id"),
    )

    email: str = Field(sa_type=String(320), unique=True)
    name: str = Field(sa_type=String(200), index=True)
    title: str | None = Field(default=None, sa_type=String(200))
    role: Role = Field(sa_type=String(32), default=Role.SALES_REP, index=True)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id", index=True)
    manager_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    active: bool = Field(default=True, index=True)
    external_id: str | None = Field(default=None, sa_type=String(200))


class ApiClient(Entity, table=True):
    """A partner system that obtains tokens with its client id and secret."""

    __tablename__ = "api_clients"

    name: str = Field(sa_type=String(200), index=True)
    client_id: str = Field(sa_type=String(64), unique=True)
    # A hash of the secret (the secret itself is shown once, when created or rotated).
    secret_hash: str = Field(sa_type=String(200))
    scopes: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, sa_type=String(200))
