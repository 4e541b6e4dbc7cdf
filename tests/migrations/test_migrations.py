"""The migrations build exactly the schema the models describe."""

from alembic import command

from app.migrations import alembic_config


def test_models_and_migrations_agree(database_url: str) -> None:
    # Raises when autogenerate would find any difference (tables, columns, indexes, types).
    command.check(alembic_config(database_url))
