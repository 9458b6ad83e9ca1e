"""AES-256-GCM secrets with a keyring, and rotation to a new key in one command."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from openfyxer.core.errors import CryptoError
from tests.conftest import ROOT, apply_env


def test_round_trip_names_the_key_and_binds_the_column(monkeypatch):
    """GIVEN the keyring WHEN a value is encrypted THEN it names its key, decrypts only in its own column."""
    from openfyxer.security import crypto

    token = crypto.encrypt("hunter2", "users.totp_secret")
    assert token.startswith("enc:v1:dev:") and "hunter2" not in token
    assert crypto.encrypt("hunter2", "users.totp_secret") != token  # fresh nonce each time
    assert crypto.decrypt(token, "users.totp_secret") == "hunter2"
    with pytest.raises(CryptoError):
        crypto.decrypt(token, "user_settings.openai_api_key")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(CryptoError):
        crypto.decrypt(tampered, "users.totp_secret")


def test_unknown_key_id_is_a_clear_error(monkeypatch):
    """GIVEN a ciphertext made with a key that was later dropped WHEN decrypted THEN the error names the key."""
    from openfyxer.security import crypto

    apply_env(monkeypatch, encryption_keys=f"old:{crypto.generate_key()}")
    token = crypto.encrypt("x")
    apply_env(monkeypatch, encryption_keys=f"new:{crypto.generate_key()}")
    with pytest.raises(CryptoError, match="'old'"):
        crypto.decrypt(token)


def test_rotate_keys_command_re_encrypts_every_secret(tmp_path, request, monkeypatch):
    """GIVEN secrets stored under key A WHEN `openfyxer.cli rotate-keys` runs THEN .env gains key B first,
    every ciphertext in every encrypted column names B, and all still decrypt."""
    from tests.conftest import fresh_database

    url = fresh_database("sqlite", request, tmp_path)
    env_file = tmp_path / ".env"
    from openfyxer.security.crypto import generate_key

    env_file.write_text(f"OPENFYXER_ENCRYPTION_KEYS=a:{generate_key()}\n")
    apply_env(monkeypatch, env_file=str(env_file), database_url=url)
    monkeypatch.delenv("OPENFYXER_ENCRYPTION_KEYS", raising=False)
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import EmailAccount
    from openfyxer.models.settings import UserSettings
    from openfyxer.models.user import User

    with session_scope() as db:
        user = User(email="a@example.com", hashed_password="x", totp_secret="JBSWY3DPEHPK3PXP")
        db.add(user)
        db.flush()
        db.add(UserSettings(user_id=user.id, openai_api_key="sk-one", cohere_api_key="co-two"))
        db.add(EmailAccount(user_id=user.id, provider="imap", email_address="a@example.com", imap_password="pw-three"))

    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENFYXER_ENCRYPTION_KEYS"}
    out = subprocess.run([sys.executable, "-m", "openfyxer.cli", "rotate-keys"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "re-encrypted 4 secrets" in out.stdout
    keys = env_file.read_text().split("OPENFYXER_ENCRYPTION_KEYS=", 1)[1].strip().split(",")
    new_kid = keys[0].split(":")[0]
    assert len(keys) == 2 and keys[1].startswith("a:") and new_kid != "a"

    with create_engine(url).connect() as conn:
        raw = [v for row in conn.execute(text(
            "SELECT u.totp_secret, s.openai_api_key, s.cohere_api_key, a.imap_password "
            "FROM users u JOIN user_settings s ON s.user_id = u.id JOIN email_accounts a ON a.user_id = u.id")) for v in row]
    assert all(v.startswith(f"enc:v1:{new_kid}:") for v in raw)

    apply_env(monkeypatch)  # re-read the rotated .env
    with session_scope() as db:
        s = db.exec(select(UserSettings)).one()
        assert (s.openai_api_key, s.cohere_api_key) == ("sk-one", "co-two")
        assert db.exec(select(EmailAccount)).one().imap_password == "pw-three"
    # Running it again finds nothing left to do.
    again = subprocess.run([sys.executable, "-m", "openfyxer.cli", "reencrypt"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert "re-encrypted 0 secrets" in again.stdout, again.stderr
