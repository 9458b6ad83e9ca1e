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
AUTH_TABLES = {"auth_sessions", "refresh_tokens", "totp_used_steps", "invitations", "recovery_codes"}
MAIL_TABLES = {"mail_folders", "email_locations", "oauth_flows", "triage_feedback", "notifications"}
KNOWLEDGE_TABLES = {"kg_nodes", "kg_edges", "kg_chunks", "chat_messages"}
CALENDAR_TABLES = {"calendar_accounts", "calendars", "calendar_objects"}
NOTIFY_TABLES = {"notify_channels", "notify_deliveries", "follow_ups"}
MEETING_TABLES = {"transcript_segments", "meeting_reminders"}
ALL_TABLES = (SPEC_TABLES | AUTH_TABLES | MAIL_TABLES | KNOWLEDGE_TABLES | CALENDAR_TABLES | NOTIFY_TABLES
              | MEETING_TABLES)


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
    assert _tables(empty_db) == ALL_TABLES
    command.downgrade(cfg, "base")
    assert _tables(empty_db) == set()
    command.upgrade(cfg, "head")
    assert _tables(empty_db) == ALL_TABLES


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


def test_upgrade_keeps_existing_rows(empty_db):
    """GIVEN a database at the first revision holding a user, account, email and draft
    WHEN it is upgraded to head THEN the rows survive and the new columns have their defaults."""
    import uuid

    from sqlalchemy import text

    cfg = _config()
    command.upgrade(cfg, "0001")
    engine = create_engine(empty_db)
    ids = {k: str(uuid.uuid4()) for k in ("user", "account", "email", "draft")}
    if empty_db.startswith("sqlite"):
        ids = {k: v.replace("-", "") for k, v in ids.items()}  # SQLAlchemy's Uuid stores hex on SQLite
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, hashed_password, totp_enabled, is_active, language, timezone, "
                          "created_at, updated_at) VALUES (:user, 'a@x.test', 'h', false, true, 'en', 'UTC', "
                          "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), ids)
        conn.execute(text("INSERT INTO email_accounts (id, user_id, provider, email_address, is_active, created_at) "
                          "VALUES (:account, :user, 'imap', 'a@x.test', true, CURRENT_TIMESTAMP)"), ids)
        conn.execute(text("INSERT INTO emails (id, account_id, message_id, recipients, has_attachments, is_read, created_at) "
                          "VALUES (:email, :account, '<m@x>', '[]', false, false, CURRENT_TIMESTAMP)"), ids)
        conn.execute(text("INSERT INTO drafts (id, email_id, user_id, content, status, created_at) "
                          "VALUES (:draft, :email, :user, 'hi', 'pending', CURRENT_TIMESTAMP)"), ids)
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = create_engine(empty_db)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT to_addresses, send_attempts, delivery_uncertain FROM drafts")).one()
        acct = conn.execute(text("SELECT sync_state, smtp_saves_sent FROM email_accounts")).one()
    engine.dispose()
    assert row[1] == 0 and not row[2] and row[0] in ("[]", [])
    assert acct[0] == "idle" and not acct[1]


def test_the_old_notification_settings_become_channels(empty_db):
    """GIVEN a user whose old settings hold a Slack webhook, a notification address and an SMS key and
    number WHEN upgraded past 0015 THEN the Slack URL and the address are working channels, the SMS
    fields an SMS channel that is off and says what it lacks, each target still encrypted; the old
    columns are gone."""
    import uuid

    from sqlalchemy import text

    from openfyxer.core.db import reset_engines, session_scope
    from openfyxer.core.errors import ValidationError
    from openfyxer.models.notify import ChannelUpdate, NotifyChannel
    from openfyxer.security import crypto
    from openfyxer.services.notify import channels

    cfg = _config()
    command.upgrade(cfg, "0014")
    engine = create_engine(empty_db)
    user = uuid.uuid4()
    ids = {"user": user.hex if empty_db.startswith("sqlite") else str(user),
           "row": uuid.uuid4().hex if empty_db.startswith("sqlite") else str(uuid.uuid4()),
           "hook": crypto.encrypt("https://hooks.slack.com/services/T0/B0/secret9", "user_settings.slack_webhook_url"),
           "key": crypto.encrypt("sms-token-7", "user_settings.sms_api_key")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, hashed_password, totp_enabled, is_active, is_admin, language, "
                          "timezone, created_at, updated_at) VALUES (:user, 'a@x.test', 'h', false, true, false, 'en', "
                          "'UTC', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), ids)
        conn.execute(text("INSERT INTO user_settings (id, user_id, llm_provider, follow_up_days, priority_contacts, "
                          "scheduling, notify, slack_webhook_url, sms_provider, sms_api_key, sms_phone_number, "
                          "notification_email, created_at, updated_at) VALUES (:row, :user, 'local', 3, '[]', '{}', "
                          "'{}', :hook, 'twilio', :key, '+40712345678', 'me@x.test', CURRENT_TIMESTAMP, "
                          "CURRENT_TIMESTAMP)"), ids)
    engine.dispose()
    command.upgrade(cfg, "head")
    assert not {"slack_webhook_url", "sms_api_key", "notification_email"} & {
        c["name"] for c in inspect(create_engine(empty_db)).get_columns("user_settings")}
    reset_engines()
    with session_scope() as db:
        made = {c.kind: c for c in channels.list_channels(db, user_id=user)}
        raw = [r[0] for r in db.execute(text("SELECT config FROM notify_channels")).all()]
        assert sorted(made) == ["email", "slack", "sms"]
        assert channels.target(made["slack"]) == {"url": "https://hooks.slack.com/services/T0/B0/secret9"}
        assert made["slack"].enabled and made["slack"].hint == "hooks.slack.com/…"
        assert channels.target(made["email"]) == {"to": "me@x.test"} and made["email"].enabled
        sms = made["sms"]
        assert not sms.enabled and "account SID" in sms.disabled_reason
        assert channels.target(sms)["auth_token"] == "sms-token-7" and channels.target(sms)["to"] == "+40712345678"
        assert all(r.startswith("enc:") and "secret9" not in r and "sms-token" not in r for r in raw)
        assert isinstance(db.get(NotifyChannel, sms.id).events, list)
        with pytest.raises(ValidationError, match="account_sid"):
            channels.update(db, user_id=user, channel_id=sms.id, data=ChannelUpdate(enabled=True))
        complete = {**channels.target(sms), "account_sid": "AC1", "from": "+40700000001"}
        channels.update(db, user_id=user, channel_id=sms.id, data=ChannelUpdate(target=complete))
        assert channels.update(db, user_id=user, channel_id=sms.id, data=ChannelUpdate(enabled=True)).enabled
