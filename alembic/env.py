"""Alembic environment: the URL and the metadata come from OpenFyxer itself."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import openfyxer.models  # noqa: F401  (every table in the metadata)
from openfyxer.core.db import get_engine

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):  # noqa: ANN001, ANN201
    """Write our column types as their plain storage type, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl if not isinstance(obj.impl, type) else obj.impl()
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{impl!r}"
    return False


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    with get_engine().connect() as conn:
        _migrate(conn)
        conn.commit()


def _migrate(connection) -> None:  # noqa: ANN001
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy-and-drop; with foreign keys on, dropping the old
        # table would cascade-delete every row that references it (drafts of an email, ...).
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run()
