"""Alembic migrations: upgrade -> downgrade -> upgrade on SQLite and PostgreSQL, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import openfyxer.models  # noqa: F401
from tests import servers
from tests.conftest import ROOT, apply_env

SPEC_TABLES = {"users", "email_accounts", "emails", "drafts", "calendar_events", "documents", "meetings",
               "audit_logs", "user_settings"}
AUTH_TABLES = {"auth_sessions", "refresh_tokens", "totp_used_steps"}


def _config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["skip_logging"] = True
    return cfg


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path, monkeypatch) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        pg = request.getfixturevalue("pg_server")
        url = servers.create_database(pg.url, f"mig_{tmp_path.name[-20:].replace('-', '_')}".lower())
    apply_env(monkeypatch, database_url=url)
    return url.replace("postgresql://", "postgresql+psycopg://")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_db):
    """GIVEN an empty database WHEN migrated up, down and up again THEN all tables exist, then none, then all."""
    cfg = _config()
    command.upgrade(cfg, "head")
    assert _tables(empty_db) == SPEC_TABLES | AUTH_TABLES
    command.downgrade(cfg, "base")
    assert _tables(empty_db) == set()
    command.upgrade(cfg, "head")
    assert _tables(empty_db) == SPEC_TABLES | AUTH_TABLES


def test_migrations_match_the_models(empty_db):
    """GIVEN a migrated database WHEN compared with the SQLModel metadata THEN there is no difference."""
    command.upgrade(_config(), "head")
    engine = create_engine(empty_db)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []
