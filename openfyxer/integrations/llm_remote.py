"""Model servers and cloud providers through litellm: Ollama, any OpenAI-compatible server,
OpenAI, Gemini, Claude and Cohere."""

from __future__ import annotations

import os

from openfyxer.core.errors import OpenFyxerError

# litellm otherwise downloads its price list on import, and there is no internet at run time.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PREFIX = {
    "ollama": "ollama_chat/",
    "openai_compatible": "openai/",
    "openai": "openai/",
    "gemini": "gemini/",
    "claude": "anthropic/",
    "cohere": "cohere_chat/",
}


class LLMError(OpenFyxerError):
    """The language model did not answer."""

    status = 502
    code = "llm_error"


class LLMTimeout(LLMError):
    """The language model did not answer in time."""

    status = 504
    code = "llm_timeout"


def chat(provider: str, model: str, messages: list[dict], *, api_key: str | None, api_base: str | None,
         max_tokens: int, temperature: float, timeout: float, stop: list[str] | None = None) -> str:
    import litellm  # lazily: a 3-second import

    try:
        resp = litellm.completion(
            model=PREFIX[provider] + model, messages=messages, api_key=api_key or ("none" if api_base else None),
            api_base=api_base, max_tokens=max_tokens, temperature=temperature, timeout=timeout,
            stop=stop or None, num_retries=0,
        )
    except litellm.Timeout as e:
        raise LLMTimeout(f"{provider} did not answer within {timeout:.0f} s") from e
    except litellm.AuthenticationError as e:
        raise LLMError(f"{provider} refused the API key", code="llm_auth") from e
    except litellm.APIConnectionError as e:
        raise LLMError(f"cannot reach {provider}{' at ' + api_base if api_base else ''}: {_short(e)}",
                       code="llm_unreachable") from e
    except Exception as e:  # litellm maps most errors above; anything else is still the provider's failure
        if _connection_refused(e):
            # litellm reports a refused connection as an InternalServerError.
            raise LLMError(f"cannot reach {provider}{' at ' + api_base if api_base else ''}", code="llm_unreachable") from e
        raise LLMError(f"{provider} failed: {type(e).__name__}: {_short(e)}") from e
    return (resp.choices[0].message.content or "").strip()


def stream(provider: str, model: str, messages: list[dict], *, api_key: str | None, api_base: str | None,
           max_tokens: int, temperature: float, timeout: float):  # noqa: ANN201
    """The answer in pieces as the provider sends them; errors as `chat` reports them."""
    import litellm

    try:
        resp = litellm.completion(
            model=PREFIX[provider] + model, messages=messages, api_key=api_key or ("none" if api_base else None),
            api_base=api_base, max_tokens=max_tokens, temperature=temperature, timeout=timeout, num_retries=0,
            stream=True,
        )
        for chunk in resp:
            piece = chunk.choices[0].delta.content if chunk.choices else None
            if piece:
                yield piece
    except LLMError:
        raise
    except litellm.Timeout as e:
        raise LLMTimeout(f"{provider} did not answer within {timeout:.0f} s") from e
    except litellm.AuthenticationError as e:
        raise LLMError(f"{provider} refused the API key", code="llm_auth") from e
    except Exception as e:
        if _connection_refused(e):
            raise LLMError(f"cannot reach {provider}{' at ' + api_base if api_base else ''}", code="llm_unreachable") from e
        raise LLMError(f"{provider} failed: {type(e).__name__}: {_short(e)}") from e


def _connection_refused(e: BaseException) -> bool:
    import httpx

    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, (httpx.ConnectError, ConnectionRefusedError)) or type(e).__name__ == "APIConnectionError":
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:300] if str(e) else type(e).__name__
