"""Settings from the environment (pydantic-settings)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "insecure-development-key-change-me-0000000000"
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path('var/crm.db').absolute()}"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the service; each field reads the environment variable of its name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(default=None, description="Unset: in-process background work.")
    crm_env: Environment = Field(default=Environment.DEVELOPMENT)
    crm_secret_key: str = Field(default=DEFAULT_SECRET_KEY, min_length=32)
    crm_token_ttl_seconds: int = Field(default=3600, gt=0)
    crm_token_issuer: str = "crm"
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, gt=0)
    db_echo: bool = False
    graphql_max_page_size: int = Field(default=100, gt=0)
    reporting_currency: str = Field(
        default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code reports convert to."
    )

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.crm_env is Environment.PRODUCTION and self.crm_secret_key == DEFAULT_SECRET_KEY:
            raise ValueError("CRM_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def batching_enabled(self) -> bool:
        if self.graphql_batching is not None:
            return self.graphql_batching
        return self.crm_env is not Environment.PRODUCTION

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    # "planned" runs query operations from cached plans (schema.planner), as one statement
    # building the JSON where the database can (PostgreSQL; SQLite 3.39+, three levels deep),
    # else one batched statement per level, falling back to graphql-core for what a plan does
    # not cover;
    # "planned-levels" runs plans one batched statement per level on every database;
    # "graphql-core" always resolves field by field.
    graphql_executor: Literal["planned", "planned-levels", "graphql-core"] = Field(
        default="planned", description="How queries are executed."
    )

    # Abuse limits, checked before a query runs.
    max_query_depth: int = Field(default=12, gt=0, description="Nesting of fields.")
    max_query_cost: int = Field(
        default=25_000, gt=0, description="Fields times the page sizes around them."
    )
    max_query_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, gt=0)
    max_batch_operations: int = Field(default=10, gt=0, description="Operations per batch.")
    # Batches (a JSON list of operations) multiply attempts and cost per HTTP request: on in
    # development, off in production unless turned on.
    graphql_batching: bool | None = Field(default=None, description="Accept batched requests.")
    # Parsing stops past this many tokens, and validation runs only on documents of at most
    # this many field selections: both bound the CPU a refused document can cost.
    max_query_tokens: int = Field(default=5_000, gt=0)
    max_query_selections: int = Field(default=1_500, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    inbound_max_body_bytes: int = Field(
        default=10_000_000, gt=0, description="Largest inbound connector batch accepted."
    )
    inbound_timestamp_tolerance_seconds: int = Field(
        default=300, gt=0, description="How far a signed batch's timestamp may be from now."
    )
    inbound_message_retention_days: int = Field(
        default=7,
        gt=0,
        description="How long a batch's message id is remembered (longer than any sender's "
        "retry window, so late replays are still recognized).",
    )
    automation_max_depth: int = Field(
        default=3,
        ge=1,
        description="Automation rules do not react to events caused by this many rule runs in a "
        "row (loop protection): a `stopped` run is recorded instead.",
    )
    automation_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often the automation engine reads the outbox unwoken."
    )
    automation_batch_size: int = Field(
        default=200, gt=0, description="Outbox events the automation engine reads per batch."
    )
    automation_settle_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long the automation engine waits for a transaction holding an earlier "
        "outbox position to commit before it reads past the gap.",
    )
    ticket_reopen_window_days: int = Field(
        default=7, ge=0, description="How long after resolution a ticket may be reopened."
    )
    sla_poll_seconds: float = Field(
        default=60.0, gt=0, description="How often the SLA job looks for breached targets."
    )
    files_dir: Path = Field(
        default=Path("var/files").absolute(),
        description="Where uploaded import files, error reports and export files are kept.",
    )
    import_batch_size: int = Field(
        default=1000, gt=0, description="Rows an import commits per transaction."
    )
    import_max_upload_bytes: int = Field(
        default=1_000_000_000, gt=0, description="Largest file `startImport` accepts."
    )
    export_link_ttl_seconds: int = Field(
        default=3600, gt=0, description="How long an export's download link works."
    )
    pull_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often the scheduler looks for pulls that are due."
    )
    rate_limit_per_second: float = Field(
        default=20.0, gt=0, description="Requests a principal may make per second, sustained."
    )
    rate_limit_burst: int = Field(default=100, gt=0, description="Requests allowed at once.")
    idempotency_ttl_seconds: int = Field(
        default=86_400, gt=0, description="How long an `Idempotency-Key` and its response are kept."
    )

    # Webhook delivery.
    webhook_allow_http: bool = Field(
        default=False, description="Accept plain-http endpoint URLs (development, tests)."
    )
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Non-public networks endpoints may point to, e.g. 127.0.0.0/8 in development.",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Per attempt.")
    webhook_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a claimed delivery is reserved; keep it above the timeout.",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="In-process dispatcher: how often it looks for due work."
    )

    # Partners (OAuth2 client credentials) and frontend users (OpenID Connect).
    oauth_token_ttl_seconds: int = Field(
        default=900, gt=0, description="Lifetime of tokens issued at /oauth/token."
    )
    oidc_issuer: str | None = Field(
        default=None, description="The identity provider's issuer; unset: OIDC tokens refused."
    )
    oidc_audience: str | None = Field(
        default=None, description="Required in the `aud` of OIDC tokens (the frontend's id)."
    )
    oidc_jwks_url: str | None = Field(default=None, description="The provider's JWKS URL.")
    oidc_jwks_file: Path | None = Field(
        default=None, description="A JWKS file, instead of the URL (offline, tests)."
    )
    oidc_jwks_cache_seconds: int = Field(default=300, gt=0)
    oidc_leeway_seconds: int = Field(default=30, ge=0, description="Clock skew allowed.")

    @model_validator(mode="after")
    def _require_complete_oidc(self) -> Settings:
        if self.oidc_issuer and not (
            self.oidc_audience and (self.oidc_jwks_url or self.oidc_jwks_file)
        ):
            raise ValueError("OIDC_ISSUER needs OIDC_AUDIENCE and OIDC_JWKS_URL or OIDC_JWKS_FILE")
        return self

    # Personal data: encryption at rest, lookup hashes and retention (docs/security.md).
    crm_encryption_keys: str | None = Field(
        default=None,
        description="Comma-separated Fernet keys (`crm keys generate`): the first encrypts, "
        "every one decrypts. Unset: derived from CRM_SECRET_KEY (development only).",
    )
    crm_hash_key: str | None = Field(
        default=None,
        min_length=32,
        description="Key of the lookup hashes (contacts.phone_hash); never rotated without "
        "re-hashing. Unset: derived from CRM_SECRET_KEY (development only).",
    )
    retention_days: int = Field(
        default=30, gt=0, description="Soft-deleted rows are purged this many days after."
    )
    retention_interval_seconds: int = Field(
        default=3600, gt=0, description="How often `crm serve` runs the purge."
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
