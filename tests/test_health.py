"""/health reports each part as ok, down (with the error) or not_configured, never a guessed ok: the
status to anyone, the details to an administrator's bearer token only."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.servers import free_port


@pytest.fixture
def admin(client) -> dict:
    """The bearer header of the install's first account, which is its administrator."""
    return bearer(signed_up(client, "admin@example.com"))


def test_embedded_defaults(client, admin):
    """GIVEN only a database WHEN an administrator asks /health THEN db ok, Redis and Neo4j not_configured,
    the embedded model reported as the LLM that answers, and how many jobs and model requests wait."""
    r = client.get("/health", headers=admin)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["checks"]["db"]["status"] == "ok"
    for part in ("redis", "neo4j"):
        assert body["checks"][part]["status"] == "not_configured"
        assert client.get(f"/health/{part}", headers=admin).json()["status"] == "not_configured"
    assert body["checks"]["llm"]["status"] == "ok" and body["checks"]["llm"]["backend"] == "embedded"
    assert body["checks"]["llm"]["queue"] == {"waiting": 0, "generating": 0}
    assert body["checks"]["redis"]["jobs"]["workers"] >= 2 and "queued" in body["checks"]["redis"]["jobs"]
    assert client.get("/health/db", headers=admin).json()["backend"] in ("sqlite", "postgresql")


def test_the_details_are_for_administrators_only(client, admin):
    """GIVEN a running install WHEN /health and /health/db are asked without a token, with a user's who is
    not an administrator, or with a token that is not valid THEN only the status comes back (the same HTTP
    code); WHEN asked with the administrator's THEN each check with its backend."""
    user = bearer(signed_up(client, "bea@example.com"))
    for headers in ({}, user, {"Authorization": "Bearer not-a-token"}):
        r = client.get("/health", headers=headers)
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
        r = client.get("/health/db", headers=headers)
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert set(client.get("/health", headers=admin).json()["checks"]) == {"db", "redis", "neo4j", "llm"}
    assert client.get("/health/db", headers=admin).json()["latency_ms"] >= 0


def test_real_redis_is_ok_and_a_dead_one_is_down(client, redis_server, monkeypatch, admin):
    """GIVEN a live Redis, then a dead port WHEN /health/redis is asked THEN ok, then 503 down with the error
    (to the administrator; anyone else sees 503 and the status)."""
    apply_env(monkeypatch, redis_url=redis_server.url)
    r = client.get("/health/redis", headers=admin).json()
    assert r["status"] == "ok" and set(r["jobs"]) == {"queued", "running", "failed"}  # RQ's own counts
    apply_env(monkeypatch, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    r = client.get("/health/redis", headers=admin)
    assert r.status_code == 503 and r.json()["status"] == "down" and "refused" in r.json()["error"].lower()
    overall = client.get("/health")
    assert overall.status_code == 503 and overall.json() == {"status": "down"}


@pytest.mark.timeout(900)  # on a fresh machine the Neo4j server's jars are fetched first (tests/neo4jserver.py)
def test_real_neo4j_is_ok(client, neo4j_server, monkeypatch):
    """GIVEN OPENFYXER_NEO4J_URL pointing at a running Neo4j 5 WHEN /health/neo4j is asked THEN ok."""
    apply_env(monkeypatch, neo4j_url=neo4j_server.url)
    assert client.get("/health/neo4j").json()["status"] == "ok"


def test_dead_neo4j_is_down(client, monkeypatch, admin):
    """GIVEN OPENFYXER_NEO4J_URL pointing at nothing WHEN /health/neo4j is asked THEN down with the error."""
    apply_env(monkeypatch, neo4j_url=f"bolt://127.0.0.1:{free_port()}")
    r = client.get("/health/neo4j", headers=admin)
    assert r.status_code == 503 and r.json()["status"] == "down" and r.json()["error"]


def test_dead_database_is_down(client, monkeypatch, tmp_path, admin):
    """GIVEN a PostgreSQL URL with nothing listening WHEN /health/db is asked THEN down, not an exception,
    with or without a token (the token cannot be checked without the database)."""
    apply_env(monkeypatch, database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    for headers in ({}, admin):
        r = client.get("/health/db", headers=headers)
        assert (r.status_code, r.json()) == (503, {"status": "down"})


class _OllamaLike(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/api/tags":
            body = json.dumps({"models": [{"name": "qwen2.5:1.5b"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def ollama_like():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OllamaLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_llm_server_ok_lists_models_and_dead_one_is_down(client, monkeypatch, ollama_like, admin):
    """GIVEN an HTTP server speaking Ollama's /api/tags, then nothing WHEN /health/llm is asked THEN ok with models, then down."""
    apply_env(monkeypatch, llm_base_url=ollama_like)
    r = client.get("/health/llm", headers=admin).json()
    assert r["status"] == "ok" and r["models"] == ["qwen2.5:1.5b"]
    apply_env(monkeypatch, llm_base_url=f"http://127.0.0.1:{free_port()}")
    assert client.get("/health/llm").json() == {"status": "down"}
