"""Who may register: the registration policy, the administrator, invitations and the operator's
commands, through the REST API and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text, update
from sqlmodel import select

from openfyxer import cli
from tests import servers
from tests.conftest import ROOT, apply_env
from tests.helpers import PASSWORD, bearer, login, register, signed_up

REGISTER = "/api/v1/auth/register"
INVITATIONS = "/api/v1/admin/invitations"


def _register(client, email: str, invitation: str | None = None):  # noqa: ANN202
    body = {"email": email, "password": PASSWORD} | ({"invitation": invitation} if invitation else {})
    return client.post(REGISTER, json=body)


def _me(client, tokens: dict) -> dict:
    r = client.get("/api/v1/users/me", headers=bearer(tokens))
    assert r.status_code == 200, r.text
    return r.json()


def _invite(client, admin: dict, **body) -> str:
    r = client.post(INVITATIONS, json=body, headers=bearer(admin))
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _refusal(response) -> tuple[int, dict]:  # noqa: ANN001
    return response.status_code, response.json()


def test_a_fresh_install_is_open_once_then_needs_an_invitation(client, monkeypatch):
    """GIVEN the default policy WHEN the first person registers THEN they are the administrator; WHEN anyone
    else tries without a valid invitation THEN 403, the same answer for a taken address as for a free one."""
    apply_env(monkeypatch, registration="")
    admin = signed_up(client, "ana@example.com")
    assert _me(client, admin)["is_admin"] is True

    free, taken = _register(client, "bob@example.com"), _register(client, "ana@example.com")
    assert _refusal(free) == _refusal(taken)
    assert free.status_code == 403 and free.json()["code"] == "invitation_required"
    free, taken = _register(client, "bob@example.com", "made-up"), _register(client, "ana@example.com", "made-up")
    assert _refusal(free) == _refusal(taken)
    assert free.status_code == 403 and free.json()["code"] == "invitation_invalid"


def test_an_invitation_lets_one_person_in_once(client, monkeypatch):
    """GIVEN an administrator's invitations WHEN used THEN each lets one person in, once; an expired one, one meant
    for another address and a revoked one let nobody in; a taken address keeps the invitation unspent."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.user import Invitation

    apply_env(monkeypatch, registration="")
    admin = signed_up(client, "ana@example.com")

    created = client.post(INVITATIONS, json={}, headers=bearer(admin))
    assert created.status_code == 201
    token = created.json()["token"]
    assert created.json()["email"] is None and created.json()["expires_at"]
    assert _register(client, "ana@example.com", token).json()["code"] == "email_taken"  # the token stays unspent
    bob = _register(client, "bob@example.com", token)
    assert bob.status_code == 201 and bob.json()["is_admin"] is False
    again = _register(client, "carol@example.com", token)
    assert again.status_code == 403 and again.json()["code"] == "invitation_invalid"

    listed = client.get(INVITATIONS, headers=bearer(admin)).json()
    assert len(listed) == 1 and listed[0]["used_by"] == bob.json()["id"] and listed[0]["used_at"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]

    for_carol = _invite(client, admin, email="carol@example.com", days=3)
    assert _register(client, "dave@example.com", for_carol).status_code == 403
    assert _register(client, "Carol@Example.com", for_carol).status_code == 201

    expired = _invite(client, admin)
    with session_scope() as db:
        db.execute(update(Invitation).where(Invitation.used_at.is_(None))
                   .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert _register(client, "erin@example.com", expired).json()["code"] == "invitation_invalid"

    revoked = client.post(INVITATIONS, json={"days": 1}, headers=bearer(admin)).json()
    assert client.delete(f"{INVITATIONS}/{revoked['id']}", headers=bearer(admin)).status_code == 204
    assert _register(client, "erin@example.com", revoked["token"]).json()["code"] == "invitation_invalid"
    used_id = listed[0]["id"]
    assert client.delete(f"{INVITATIONS}/{used_id}", headers=bearer(admin)).status_code == 409
    assert client.post(INVITATIONS, json={"days": 0}, headers=bearer(admin)).status_code == 422


def test_long_expired_unused_invitations_are_purged_used_ones_kept(client, monkeypatch):
    """GIVEN an invitation used, one unused that expired 31 days ago and one that expired yesterday WHEN the
    housekeeping job runs THEN only the long-expired unused one is gone."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.user import Invitation
    from openfyxer.services import maintenance

    apply_env(monkeypatch, registration="")
    admin = signed_up(client, "ana@example.com")
    assert _register(client, "bob@example.com", _invite(client, admin)).status_code == 201
    for _ in range(2):
        _invite(client, admin)
    with session_scope() as db:
        unused = db.exec(select(Invitation).where(Invitation.used_at.is_(None))).all()
        for row, days in zip(unused, (31, 1)):
            row.expires_at = datetime.now(UTC) - timedelta(days=days)
        kept_id = unused[1].id
    with session_scope() as db:
        assert maintenance.purge_expired(db)["invitations"] == 1
    with session_scope() as db:
        left = db.exec(select(Invitation)).all()
    assert len(left) == 2 and kept_id in {i.id for i in left} and any(i.used_at for i in left)


def test_only_an_administrator_manages_invitations(client, monkeypatch):
    """GIVEN a user who is not the administrator WHEN they create, list or revoke invitations THEN 403."""
    apply_env(monkeypatch, registration="")
    admin = signed_up(client, "ana@example.com")
    invitation = client.post(INVITATIONS, json={}, headers=bearer(admin)).json()
    assert _register(client, "bob@example.com", invitation["token"]).status_code == 201
    client.cookies.clear()
    bob = login(client, "bob@example.com")
    client.cookies.clear()

    assert client.post(INVITATIONS, json={}, headers=bearer(bob)).status_code == 403
    assert client.get(INVITATIONS, headers=bearer(bob)).status_code == 403
    other = client.post(INVITATIONS, json={}, headers=bearer(admin)).json()
    r = client.delete(f"{INVITATIONS}/{other['id']}", headers=bearer(bob))
    assert r.status_code == 403 and r.json()["code"] == "admin_only"
    assert _register(client, "carol@example.com", other["token"]).status_code == 201  # still there
    assert client.post(INVITATIONS, json={}).status_code == 401


def test_closed_refuses_everyone_even_with_an_invitation(client, monkeypatch):
    """GIVEN registration closed WHEN someone registers, even with a valid invitation or a taken address THEN 403
    registration_closed, the same answer each time."""
    apply_env(monkeypatch, registration="")
    admin = signed_up(client, "ana@example.com")
    token = _invite(client, admin)
    apply_env(monkeypatch, registration="closed")
    answers = [_refusal(_register(client, "bob@example.com", token)), _refusal(_register(client, "bob@example.com")),
               _refusal(_register(client, "ana@example.com"))]
    assert answers[0][0] == 403 and answers[0][1]["code"] == "registration_closed"
    assert answers.count(answers[0]) == 3


def test_closed_from_the_start_lets_the_operator_create_accounts(client, monkeypatch):
    """GIVEN a fresh install with registration closed WHEN the first person registers THEN 403; the CLI's
    create-user makes the administrator anyway."""
    apply_env(monkeypatch, registration="closed")
    assert _register(client, "ana@example.com").json()["code"] == "registration_closed"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["create-user", "ana@example.com", "--admin"]) == 0
    assert _me(client, login(client, "ana@example.com"))["is_admin"] is True


def test_open_lets_anyone_register(client, monkeypatch):
    """GIVEN registration open WHEN several people register THEN all get in, and only the first is administrator."""
    apply_env(monkeypatch, registration="open")
    first, second = register(client, "ana@example.com"), register(client, "bob@example.com")
    assert first["is_admin"] is True and second["is_admin"] is False
    assert _register(client, "bob@example.com").json()["code"] == "email_taken"


def test_cli_invite_prints_a_token_that_works(client, monkeypatch, capsys):
    """GIVEN no administrator WHEN `cli invite` runs THEN it says so; GIVEN one THEN it prints a token bound to
    the address given, which lets that address register."""
    apply_env(monkeypatch, registration="")
    assert cli.main(["invite"]) == 1
    assert "no administrator" in capsys.readouterr().err
    register(client, "ana@example.com")
    assert cli.main(["invite", "--email", "bob@example.com", "--days", "2"]) == 0
    token = capsys.readouterr().out.strip()
    assert _register(client, "carol@example.com", token).status_code == 403
    assert _register(client, "bob@example.com", token).status_code == 201


def test_cli_reset_password_changes_it_and_ends_every_sign_in(client, monkeypatch, capsys):
    """GIVEN a signed-in user WHEN an administrator resets their password with the CLI THEN the old password,
    access token and refresh token stop working and the new password signs in."""
    tokens = signed_up(client, "ana@example.com")
    new = "a brand new passphrase"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["reset-password", "ana@example.com"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(new + "\n"))
    assert cli.main(["reset-password", "nobody@example.com"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(new + "\n"))
    assert cli.main(["reset-password", "Ana@Example.com"]) == 0

    assert client.get("/api/v1/users/me", headers=bearer(tokens)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 401
    assert _me(client, login(client, "ana@example.com", new))["email"] == "ana@example.com"


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_db(request, tmp_path, monkeypatch) -> str:  # noqa: ANN001
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        pg = request.getfixturevalue("pg_server")
        url = servers.create_database(pg.url, f"reg_{uuid.uuid4().hex[:12]}")
    apply_env(monkeypatch, database_url=url)
    return url.replace("postgresql://", "postgresql+psycopg://")


def test_upgrade_makes_the_oldest_user_the_administrator(unmigrated_db):
    """GIVEN a database before invitations holding two users WHEN it is upgraded THEN the one registered first,
    and only that one, is the administrator."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "0007")
    engine = create_engine(unmigrated_db)
    sqlite = unmigrated_db.startswith("sqlite")
    users = {"newer": (uuid.uuid4(), "2026-05-01 10:00:00"), "older": (uuid.uuid4(), "2025-01-01 10:00:00")}
    with engine.begin() as conn:
        for name, (uid, created) in users.items():  # the newer one first: row order must not decide
            conn.execute(text("INSERT INTO users (id, email, hashed_password, totp_enabled, is_active, language, "
                              "timezone, created_at, updated_at) VALUES (:id, :email, 'h', false, true, 'en', 'UTC', "
                              ":created, :created)"),
                         {"id": uid.hex if sqlite else str(uid), "email": f"{name}@x.test", "created": created})
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = create_engine(unmigrated_db)
    with engine.connect() as conn:
        admins = dict(conn.execute(text("SELECT email, is_admin FROM users")).all())
    engine.dispose()
    assert {k: bool(v) for k, v in admins.items()} == {"newer@x.test": False, "older@x.test": True}
