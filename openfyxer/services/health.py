"""Health of each part: `ok`, `down` with the error, or `not_configured`. Never a guessed `ok`.

The job queue's check (redis, or the in-process runner) and the model's also say how much waits:
details that /health shows to administrators only."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from openfyxer.core import later
from openfyxer.core.config import get_settings
from openfyxer.core.db import get_engine
from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations import llm_local, llm_server, neo4j_graph, redis_store

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not_configured"


def _timed(probe: Callable[[], dict[str, Any] | None], backend: str) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        extra = probe() or {}
    except OpenFyxerError as e:
        return {"status": DOWN, "backend": backend, "error": e.message}
    except Exception as e:  # a health check reports every failure instead of raising it
        return {"status": DOWN, "backend": backend, "error": f"{type(e).__name__}: {e}"}
    return {"status": OK, "backend": backend, "latency_ms": round((time.perf_counter() - start) * 1000, 2), **extra}


def check_db() -> dict[str, Any]:
    engine = get_engine()

    def probe() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return _timed(probe, engine.dialect.name)


def _jobs() -> dict[str, Any]:
    depth = later.depth()
    return {"jobs": depth} if depth is not None else {}


def check_redis() -> dict[str, Any]:
    """Redis, the job queue's home; without it, jobs run in process. Either way: how many jobs wait."""
    url = get_settings().redis_url
    if not url:
        return {"status": NOT_CONFIGURED, "backend": "in-process", "detail": "OPENFYXER_REDIS_URL is not set",
                **_jobs()}

    def probe() -> dict[str, Any]:
        redis_store.ping(url)
        return _jobs()

    return _timed(probe, "redis")


def check_neo4j() -> dict[str, Any]:
    s = get_settings()
    if not s.neo4j_url:
        return {"status": NOT_CONFIGURED, "backend": "embedded", "detail": "OPENFYXER_NEO4J_URL is not set"}
    return _timed(lambda: neo4j_graph.ping(s.neo4j_url, s.neo4j_user, s.neo4j_password), "neo4j")


def check_llm() -> dict[str, Any]:
    """The model that answers users who chose nothing: a configured server, Ollama, or the embedded one."""
    s = get_settings()
    if s.llm_base_url:
        return _timed(lambda: {"models": llm_server.ping(s.llm_base_url)}, "http")

    def probe() -> dict[str, Any]:
        from openfyxer.services.assistant import llm

        info = llm.describe_default()
        if info["provider"] == "embedded":
            if not info["installed"]:
                raise llm_local.LocalModelError(f"the embedded model {info['model']} is not installed")
            if importlib.util.find_spec("llama_cpp") is None:
                raise llm_local.LocalModelError("llama-cpp-python is not installed")
            info["loaded"] = info["model"] in llm_local._loaded  # noqa: SLF001
            info["queue"] = llm_local.model_queue.depth()  # this process's callers only
        return info

    result = _timed(probe, "router")
    if result["status"] == OK:
        result["backend"] = result.pop("provider")
    return result


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "db": check_db,
    "redis": check_redis,
    "neo4j": check_neo4j,
    "llm": check_llm,
}


def overall() -> dict[str, Any]:
    """All checks; the whole is `ok` only when nothing configured is down."""
    checks = {name: fn() for name, fn in CHECKS.items()}
    status = DOWN if any(c["status"] == DOWN for c in checks.values()) else OK
    return {"status": status, "checks": checks}
