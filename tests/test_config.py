"""The one Settings object: defaults, refusals outside development, and the .env file."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
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


# What a probe prints: the .env's variables as the process environment and get_settings() see them.
_PROBE = """
import json, os, sys
{first}
import litellm
from openfyxer.core.config import get_settings
s = get_settings()
print(json.dumps({{"litellm": litellm.__file__,
                  "environ": {{k: os.environ.get(k) for k in sys.argv[1:]}},
                  "settings": [s.environment, s.secret_key, s.encryption_keys, s.llm_base_url]}}))
"""


def test_a_developers_env_file_reaches_no_test_process(tmp_path):
    """GIVEN a clone where `make run` wrote a .env (production, its own secrets, a model server) and whose virtual
    environment lives inside it, and a process configured as the tests configure theirs (OPENFYXER_ENV_FILE=/dev/null)
    WHEN it imports OpenFyxer and then litellm (which, left to itself, loads the first .env above its own files)
    THEN neither its environment nor get_settings() holds anything from that .env; and the same process without
    OpenFyxer would have loaded it, so the clone is laid out as a developer's is."""
    from openfyxer.security.crypto import generate_key

    clone = tmp_path / "clone"
    site = clone / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    # The installed package itself, seen from inside the clone as it is from a developer's .venv.
    (site / "litellm").symlink_to(importlib.util.find_spec("litellm").submodule_search_locations[0])
    dev = {"OPENFYXER_ENVIRONMENT": "production", "OPENFYXER_SECRET_KEY": secrets.token_urlsafe(48),
           "OPENFYXER_ENCRYPTION_KEYS": f"devkey:{generate_key()}", "OPENFYXER_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    (clone / ".env").write_text("".join(f"{k}={v}\n" for k, v in dev.items()))
    # Not inherited from this process, which has imported OpenFyxer already: the probe must see to it itself.
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MODE"}
    env.update(PYTHONPATH=str(site), LITELLM_LOCAL_MODEL_COST_MAP="True")

    def probe(first: str) -> dict:
        script = tmp_path / "probe.py"  # a file, not -c: litellm's search starts from its own files then
        script.write_text(_PROBE.format(first=first))
        out = subprocess.run([sys.executable, str(script), *dev], cwd=clone, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    bare = probe("")
    assert bare["litellm"].startswith(str(site))
    assert bare["environ"]["OPENFYXER_SECRET_KEY"] == dev["OPENFYXER_SECRET_KEY"]  # the trap is armed

    seen = probe("import openfyxer.core.config  # first, as in every OpenFyxer process")
    assert seen["litellm"].startswith(str(site))
    assert seen["environ"] == {k: os.environ.get(k) for k in dev}
    assert seen["settings"] == ["test", DEV_SECRET_KEY, DEV_ENCRYPTION_KEYS, ""]
