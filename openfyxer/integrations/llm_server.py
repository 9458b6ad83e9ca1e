"""Reachability of an LLM server: Ollama's native API or any OpenAI-compatible one."""

from __future__ import annotations

import httpx

from openfyxer.core.errors import OpenFyxerError


class LLMUnavailable(OpenFyxerError):
    """The model server did not answer."""

    status = 503
    code = "llm_unavailable"


def ping(base_url: str, timeout: float = 3.0) -> list[str]:
    """The model names the server offers; raises LLMUnavailable when it does not answer."""
    base = base_url.rstrip("/")
    errors = []
    # Ollama answers /api/tags; OpenAI-compatible servers (llama.cpp, vLLM, LM Studio) /v1/models.
    for path, key, name in (("/api/tags", "models", "name"), ("/v1/models", "data", "id"), ("/models", "data", "id")):
        try:
            r = httpx.get(base + path, timeout=timeout)
        except httpx.HTTPError as e:
            raise LLMUnavailable(f"llm server at {base}: {e}") from e
        if r.status_code == 200:
            try:
                return [m.get(name, "") for m in r.json().get(key, [])]
            except ValueError:
                errors.append(f"{path}: not JSON")
                continue
        errors.append(f"{path}: HTTP {r.status_code}")
    raise LLMUnavailable(f"llm server at {base} answered no known API ({'; '.join(errors)})")
