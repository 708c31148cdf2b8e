"""Alembic environment for essaybot.

Two ways in:

* programmatic (``bot.store.db.upgrade``): an open connection in ``config.attributes["connection"]``,
  or a URL in ``config.attributes["url"]``;
* the ``alembic`` CLI with the repository's ``alembic.ini``: the URL comes from ``sqlalchemy.url``
  if set there, else from the essaybot settings (``ESSAYBOT_DATABASE_URL``, ``essaybot.toml``,
  ``ESSAYBOT_DATA_DIR``), which default to ``sqlite:///data/essaybot.db``.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from bot.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata

# Only the CLI has an ini file; programmatic callers keep their own logging setup.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from bot.config import load_settings

    return load_settings().resolved_database_url


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import application types (they change; migrations are frozen history).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    # Batch mode turns ALTERs into table rebuilds on SQLite, which cannot alter most things in place.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit the SQL script instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the caller's connection, or open one with the essaybot engine settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from bot.store.db import make_engine

    engine = make_engine(_database_url())
    try:
        with engine.begin() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
