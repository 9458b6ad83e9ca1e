"""Shared fixtures: real PostgreSQL and Redis started once per run, a fresh database per test."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

# Before anything imports openfyxer: never read a developer's .env, never run as production.
os.environ["OPENFYXER_ENV_FILE"] = os.devnull
os.environ["OPENFYXER_ENVIRONMENT"] = "test"
for _k in [k for k in os.environ if k.startswith("OPENFYXER_") and k not in ("OPENFYXER_ENV_FILE", "OPENFYXER_ENVIRONMENT")]:
    del os.environ[_k]
# Most tests register several people through the API: registration is open unless a test says otherwise.
os.environ["OPENFYXER_REGISTRATION"] = "open"
# The suite's mail servers run on 127.0.0.1, on PostgreSQL too, where a server install's default
# outbound policy ("public") would refuse them; tests of the policy set it themselves.
os.environ["OPENFYXER_OUTBOUND"] = "any"
# Nor the clone's data/ and models folder `make run` fills: each test gets its own data folder
# (_isolated), and what runs outside a test (session fixtures, the migrations they start) gets this one.
# Models are assembled and trained once per test run, not once per test.
_SESSION = Path(tempfile.mkdtemp(prefix="of-tests-"))
_OWNER = os.getpid()  # a forked child leaving must not take the run's folder with it
atexit.register(lambda: os.getpid() == _OWNER and shutil.rmtree(_SESSION, ignore_errors=True))
_MODELS = _SESSION / "models"
os.environ["OPENFYXER_DATA_DIR"] = str(_SESSION / "data")
os.environ["OPENFYXER_MODELS_DIR"] = str(_MODELS)

pytest_plugins = ["tests.mail_fixtures"]

import pytest  # noqa: E402

from tests import servers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def apply_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """Set OPENFYXER_* variables and drop every cache that was built from the old ones."""
    from openfyxer.core.config import reset_settings
    from openfyxer.core.db import reset_engines
    from openfyxer.security import ratelimit

    for key, value in env.items():
        monkeypatch.setenv(f"OPENFYXER_{key.upper()}", value)
    reset_settings()
    reset_engines()
    ratelimit.reset()


_DEAD_PORT = servers.free_port()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    # The plumbing is tested on the smallest packaged model, and an Ollama a developer may run
    # on this machine must not change what the tests see.
    apply_env(monkeypatch, data_dir=str(tmp_path / "data"), models_dir=str(_MODELS), local_model="smollm2-135m",
              ollama_url=f"http://127.0.0.1:{_DEAD_PORT}", undo_send_seconds="0")  # undo send: its own tests
    yield
    from openfyxer.core.config import reset_settings
    from openfyxer.core.db import reset_engines

    monkeypatch.undo()
    reset_settings()
    reset_engines()


@pytest.fixture(autouse=True)
def declared_jobs():
    """GIVEN any test: the jobs services declare (core.later) are recorded here, not run, so a test
    that calls a service sees that service's work alone. The API client and `live_jobs` run them."""
    from tests.helpers import held_jobs

    with held_jobs() as seen:
        yield seen


@pytest.fixture
def live_jobs(declared_jobs):  # noqa: ANN001
    """Declared jobs run after each commit, as in the app (the in-process queue); the test's jobs
    finish before its database goes away."""
    from openfyxer import jobs
    from openfyxer.core import later

    later.install(jobs.send_declared)
    yield
    jobs.local_queue().join(120)


@pytest.fixture(scope="session")
def redis_server():
    server = servers.start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def neo4j_server():
    from tests.neo4jserver import start_neo4j

    server = start_neo4j()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_server():
    server = servers.start_postgres()
    yield server
    server.stop()


def _migrate(url: str) -> None:
    import subprocess
    import sys

    env = {**os.environ, "OPENFYXER_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    url = servers.create_database(pg_server.url, "openfyxer_template")
    _migrate(url)
    return "openfyxer_template"


def fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        path = tmp_path / "openfyxer.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    pg = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return pg.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated, empty database of each kind, configured as OpenFyxer's database."""
    url = fresh_database(request.param, request, tmp_path)
    apply_env(monkeypatch, database_url=url)
    return url


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = fresh_database("sqlite", request, tmp_path)
    apply_env(monkeypatch, database_url=url)
    return url


@pytest.fixture
def client(database_url: str, live_jobs):  # noqa: ANN001
    from fastapi.testclient import TestClient

    from openfyxer.api import create_api

    with TestClient(create_api(), base_url="http://127.0.0.1:3000") as c:
        yield c
