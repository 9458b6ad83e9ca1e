"""The one Settings object: defaults, refusals outside development, and the .env file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openfyxer.core.config import DEV_ENCRYPTION_KEYS, DEV_SECRET_KEY, Settings
from tests.conftest import ROOT


def test_production_refuses_default_secret_and_key():
    """GIVEN production WHEN the secret or the encryption key is the shipped default THEN start-up fails clearly."""
    from openfyxer.security.crypto import generate_key

    good_keys = f"k1:{generate_key()}"
    with pytest.raises(ValueError, match="OPENFYXER_SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key=DEV_SECRET_KEY, encryption_keys=good_keys)
    with pytest.raises(ValueError, match="OPENFYXER_ENCRYPTION_KEYS"):
        Settings(_env_file=None, environment="production", secret_key="x" * 40, encryption_keys=DEV_ENCRYPTION_KEYS)
    ok = Settings(_env_file=None, environment="production", secret_key="x" * 40, encryption_keys=good_keys)
    assert ok.keyring_items()[0][0] == "k1"
    assert Settings(_env_file=None, environment="development").secret_key == DEV_SECRET_KEY


@pytest.mark.parametrize("keys", ["nokey", "k1:not-base64!!", "k1:" + "QUJD", ""])
def test_malformed_keyring_is_refused(keys):
    """GIVEN a malformed OPENFYXER_ENCRYPTION_KEYS WHEN settings load THEN a clear error, not a late crash."""
    with pytest.raises(ValueError, match="ENCRYPTION_KEYS|encryption key"):
        Settings(_env_file=None, environment="test", encryption_keys=keys)


def test_database_url_defaults_to_sqlite_in_the_data_dir(tmp_path):
    """GIVEN no database URL WHEN settings load THEN SQLite in the data folder; postgres URLs get the psycopg driver."""
    s = Settings(_env_file=None, environment="test", data_dir=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path}/openfyxer.db"
    pg = Settings(_env_file=None, environment="test", database_url="postgresql://u@h/db")
    assert pg.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_production_process_refuses_to_start_without_secrets(tmp_path):
    """GIVEN a production environment with no .env WHEN the migrate command starts THEN it exits with the reason."""
    env = {"PATH": "/usr/bin:/bin", "OPENFYXER_ENVIRONMENT": "production", "OPENFYXER_ENV_FILE": str(tmp_path / ".env"),
           "OPENFYXER_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "OPENFYXER_SECRET_KEY" in out.stderr


def test_init_env_writes_fresh_secrets_once(tmp_path):
    """GIVEN no .env WHEN init-env runs twice THEN the first writes random secrets and the second keeps them."""
    env = {"PATH": "/usr/bin:/bin", "OPENFYXER_ENV_FILE": str(tmp_path / ".env"), "OPENFYXER_DATA_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-m", "openfyxer.cli", "init-env"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    content = (tmp_path / ".env").read_text()
    assert "OPENFYXER_SECRET_KEY=" in content and "OPENFYXER_ENCRYPTION_KEYS=k" in content
    assert oct((tmp_path / ".env").stat().st_mode)[-3:] == "600"
    subprocess.run([sys.executable, "-m", "openfyxer.cli", "init-env"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert (tmp_path / ".env").read_text() == content
    # Production accepts what init-env wrote.
    migrate = subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT,
                             env={**env, "OPENFYXER_ENVIRONMENT": "production"}, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr


def test_env_example_lists_every_setting():
    """GIVEN .env.example WHEN compared with Settings THEN every variable is documented there."""
    text = (ROOT / ".env.example").read_text()
    missing = [f"OPENFYXER_{name.upper()}" for name in Settings.model_fields if f"OPENFYXER_{name.upper()}=" not in text]
    assert not missing, missing
