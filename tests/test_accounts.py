"""Connecting mail accounts through the API: credentials proven first, stored encrypted, removed whole."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.mailhelpers import account_body, message
from tests.servers import free_port


@pytest.fixture
def tls_env(monkeypatch, dovecot, database_url):
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)


@pytest.fixture
def api(client, tls_env):
    return client


def test_connect_account_checks_credentials_and_encrypts_them(api, mail_user, dovecot, relay, database_url):
    """GIVEN a real IMAP/SMTP account WHEN it is connected THEN it is saved with the password encrypted,
    listed, and its mail syncs on demand."""
    h = bearer(signed_up(api))
    r = api.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay), headers=h)
    assert r.status_code == 201, r.text
    account = r.json()
    assert account["email_address"] == mail_user.address and "password" not in r.text
    assert [a["id"] for a in api.get("/api/v1/accounts", headers=h).json()] == [account["id"]]
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT imap_password FROM email_accounts")).scalar_one()
    engine.dispose()
    assert stored.startswith("enc:v1:") and mail_user.password not in stored


@pytest.mark.parametrize("change, code", [
    ({"password": "wrong-password"}, "imap_auth_failed"),
    ({"imap_port": None}, "imap_unreachable"),
    ({"smtp_port": None}, "smtp_unreachable"),
])
def test_bad_credentials_or_dead_server_is_a_clear_4xx_and_nothing_is_saved(api, mail_user, dovecot, relay, change, code):
    """GIVEN a wrong password or a port nothing listens on WHEN connecting THEN 400 naming the problem, no account."""
    h = bearer(signed_up(api))
    change = {k: (v if v is not None else free_port()) for k, v in change.items()}
    r = api.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay, **change), headers=h)
    assert r.status_code == 400 and r.json()["code"] == code, r.text
    assert api.get("/api/v1/accounts", headers=h).json() == []


def test_imaps_and_starttls_with_a_private_ca(api, mail_user, dovecot, relay):
    """GIVEN a server certificate signed by a private CA named in OPENFYXER_TLS_CA_FILE
    WHEN connecting over IMAPS + implicit-TLS SMTP, and over STARTTLS THEN both are accepted."""
    h = bearer(signed_up(api))
    ssl_body = account_body(mail_user, dovecot, relay, imap_port=dovecot.imaps_port, imap_security="ssl",
                            smtp_port=relay.tls_port, smtp_security="ssl")
    assert api.post("/api/v1/accounts", json=ssl_body, headers=h).status_code == 201
    h2 = bearer(signed_up(api, "other@example.com"))
    starttls = account_body(mail_user, dovecot, relay, imap_security="starttls")
    assert api.post("/api/v1/accounts", json=starttls, headers=h2).status_code == 201


def test_untrusted_certificate_is_refused(client, mail_user, dovecot, relay):
    """GIVEN no CA configured for a self-signed server WHEN connecting over IMAPS THEN a clear 400, nothing saved."""
    h = bearer(signed_up(client))
    body = account_body(mail_user, dovecot, relay, imap_port=dovecot.imaps_port, imap_security="ssl")
    r = client.post("/api/v1/accounts", json=body, headers=h)
    assert r.status_code == 400 and "certificate" in r.json()["detail"].lower()


def test_duplicate_account_is_refused(api, mail_user, dovecot, relay):
    """GIVEN a connected account WHEN the same address is connected again THEN 409."""
    h = bearer(signed_up(api))
    assert api.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay), headers=h).status_code == 201
    assert api.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay), headers=h).status_code == 409


def test_yahoo_preset_fills_in_the_servers():
    """GIVEN the Yahoo preset WHEN an account is resolved THEN Yahoo's IMAP and SMTP hosts are used."""
    from openfyxer.models.account import AccountCreate
    from openfyxer.services.mail.accounts import _resolve

    a = _resolve(AccountCreate(provider="yahoo", email_address="ana@yahoo.com", password="app-password"))
    assert (a.imap_host, a.imap_port, a.imap_security) == ("imap.mail.yahoo.com", 993, "ssl")
    assert (a.smtp_host, a.smtp_port, a.smtp_security) == ("smtp.mail.yahoo.com", 465, "ssl")


def test_removing_an_account_removes_its_mail_drafts_and_credentials(api, mail_user, dovecot, relay):
    """GIVEN a synced account with mail, an attachment and a draft WHEN it is removed THEN all of it goes,
    the counts say so, and the attachment file is deleted."""
    from openfyxer import jobs

    h = bearer(signed_up(api))
    dovecot.deliver(mail_user.name, message(to=mail_user.address, subject="one", attachment=("a.bin", b"x" * 100)))
    dovecot.deliver(mail_user.name, message(to=mail_user.address, subject="two"))
    account = api.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay), headers=h).json()
    assert jobs.local_queue().join(60)
    progress = api.get(f"/api/v1/accounts/{account['id']}/sync", headers=h).json()
    assert progress["state"] == "idle" and progress["done"] == progress["total"] == 2, progress
    assert api.get("/api/v1/rag/status", headers=h).json()["emails_indexed"] == 2
    from openfyxer.core.config import get_settings

    files = list((get_settings().data_dir / "attachments").rglob("*"))
    assert any(f.is_file() for f in files)
    d = api.post("/api/v1/drafts", headers=h, json={"account_id": account["id"], "to": ["x@example.test"], "content": "hi"})
    assert d.status_code == 201
    r = api.delete(f"/api/v1/accounts/{account['id']}", headers=h)
    assert r.status_code == 200 and r.json() == {"emails": 2, "drafts": 1, "attachments": 1, "folders": 5}
    assert api.get("/api/v1/accounts", headers=h).json() == []
    assert not any(f.is_file() for f in (get_settings().data_dir / "attachments").rglob("*"))
    audit = api.get("/api/v1/audit", headers=h).json()["items"]
    assert audit[0]["action"] == "account.remove" and audit[0]["details"]["emails"] == 2
    # Its mail leaves the knowledge store as well (it was indexed after the sync).
    from openfyxer.integrations.knowledge_store import get_store

    assert jobs.local_queue().join(60)
    assert get_store().stats(api.get("/api/v1/users/me", headers=h).json()["id"]).get("Email", 0) == 0
