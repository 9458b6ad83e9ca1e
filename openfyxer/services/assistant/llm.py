"""One way to ask a language model, whichever runs it.

Choice, per user: a cloud provider with their own (encrypted) API key when they picked one;
otherwise the server named by OPENFYXER_LLM_BASE_URL; otherwise Ollama when it answers at its
address; otherwise the embedded model that ships in a package. Answers are cached by model and
prompt (Redis with a TTL when configured, memory otherwise).

The embedded model answers one request at a time: a choice carries its user (`owner`), whose turn
in the model's queue it takes, and `model_wait` says whether a user's request waits and behind how
many. `follow` reads a stream from async code, saying meanwhile how long the wait is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace

from openfyxer.core.config import get_settings
from openfyxer.core.errors import ValidationError
from openfyxer.integrations import llm_local, llm_remote, llm_server
from openfyxer.integrations.llm_remote import LLMError
from openfyxer.models.settings import UserSettings

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "gemini": "gemini-2.0-flash", "claude": "claude-3-5-haiku-latest",
                  "cohere": "command-r"}
_KEY_FIELD = {"openai": "openai_api_key", "gemini": "gemini_api_key", "claude": "claude_api_key",
              "cohere": "cohere_api_key"}


@dataclass(frozen=True)
class Choice:
    provider: str  # embedded | ollama | openai_compatible | openai | gemini | claude | cohere
    model: str
    api_base: str | None = None
    api_key: str | None = None
    owner: str | None = None  # the user it answers: whose turn it takes at the embedded model

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class Answer:
    text: str
    model: str
    cached: bool
    seconds: float


_ollama_probe: dict[str, tuple[float, list[str]]] = {}


def _ollama_models(url: str) -> list[str]:
    """Models Ollama offers, probed at most once a minute (an empty list: not running)."""
    now = time.monotonic()
    if url in _ollama_probe and now - _ollama_probe[url][0] < 60:
        return _ollama_probe[url][1]
    try:
        models = llm_server.ping(url, timeout=0.5)
    except llm_server.LLMUnavailable:
        models = []
    _ollama_probe[url] = (now, models)
    return models


def choose(user_settings: UserSettings | None) -> Choice:
    """The model that answers this user (their settings; None: the server's default)."""
    choice = _choose(user_settings)
    return replace(choice, owner=str(user_settings.user_id)) if user_settings else choice


def _choose(user_settings: UserSettings | None) -> Choice:
    s = get_settings()
    provider = (user_settings.llm_provider if user_settings else None) or "local"
    wanted = user_settings.llm_model if user_settings else None
    if provider in _KEY_FIELD:
        key = getattr(user_settings, _KEY_FIELD[provider])
        if not key:
            raise ValidationError(f"choose an API key for {provider} in settings, or switch back to the local model",
                                  code="llm_key_missing")
        return Choice(provider, wanted or DEFAULT_MODELS[provider], api_key=key)
    if s.llm_base_url:
        kind = "ollama" if provider == "ollama" else "openai_compatible"
        return Choice(kind, wanted or s.llm_model or "default", api_base=s.llm_base_url)
    if provider in ("local", "ollama"):
        models = _ollama_models(s.ollama_url)
        if models:
            return Choice("ollama", wanted if wanted in models else models[0], api_base=s.ollama_url)
        if provider == "ollama":
            raise LLMError(f"Ollama does not answer at {s.ollama_url}", code="llm_unreachable")
    return Choice("embedded", s.local_model)


class _MemoryCache:
    def __init__(self, size: int = 512):
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            self._data.move_to_end(key)
            return hit[1]

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


_memory = _MemoryCache()


def _cache_get(key: str) -> str | None:
    url = get_settings().redis_url
    if url:
        from openfyxer.integrations.redis_store import client

        try:
            raw = client(url).get(f"openfyxer:llm:{key}")
        except Exception:  # a cache that is down only costs a model call
            return None
        return raw.decode() if raw else None
    return _memory.get(key)


def _cache_set(key: str, value: str) -> None:
    s = get_settings()
    if s.llm_cache_ttl_seconds <= 0:
        return
    if s.redis_url:
        from openfyxer.integrations.redis_store import client

        try:
            client(s.redis_url).setex(f"openfyxer:llm:{key}", s.llm_cache_ttl_seconds, value)
        except Exception:  # noqa: S110  (see _cache_get)
            pass
        return
    _memory.set(key, value, s.llm_cache_ttl_seconds)


def complete(choice: Choice, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2,
             stop: list[str] | None = None, use_cache: bool = True, vary: bool = False) -> Answer:
    """The model's answer to `messages`. Raises LLMError with a reason the user can act on.

    A final assistant message is the start of the answer: the embedded model continues it (and the
    text includes it); other providers get the conversation without it. `use_cache=False` always
    asks the model (the user asked for a new text) and leaves the cache as it was; `vary` also gives the
    embedded model a new sampling seed, so a text asked for again is not the same words.
    """
    key = hashlib.sha256(json.dumps([choice.provider, choice.model, choice.api_base, messages, max_tokens,
                                     temperature, stop], sort_keys=True).encode()).hexdigest()
    if use_cache and (hit := _cache_get(key)) is not None:
        return Answer(hit, choice.label, True, 0.0)
    start = time.perf_counter()
    if choice.provider == "embedded":
        text = llm_local.chat(choice.model, messages, max_tokens=max_tokens, temperature=temperature, stop=stop,
                              owner=choice.owner, seed=secrets.randbelow(2**31) if vary else None)
    else:
        if messages and messages[-1]["role"] == "assistant":
            messages = messages[:-1]  # not every API continues a started answer; the others answer whole
        text = llm_remote.chat(choice.provider, choice.model, messages, api_key=choice.api_key,
                               api_base=choice.api_base, max_tokens=max_tokens, temperature=temperature,
                               timeout=get_settings().llm_timeout_seconds, stop=stop)
    if use_cache:
        _cache_set(key, text)
    return Answer(text, choice.label, False, time.perf_counter() - start)


class Pieces:
    """A stream's pieces, as every model's stream looks to its reader: iterate it; `close()` may come
    from any thread and ends it at the next piece; `place()` says where a request waiting for the
    embedded model stands (None here: nothing else waits in line for a server's answer)."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces, self._closed = iter(pieces), False

    def __iter__(self) -> Pieces:
        return self

    def __next__(self) -> str:
        if self._closed:
            raise StopIteration
        return next(self._pieces)

    def place(self) -> llm_local.Place | None:
        return None

    def close(self) -> None:
        self._closed = True  # a generator cannot be closed from another thread while it runs


AnyStream = Pieces | llm_local.Stream  # what `stream` gives: both read, place and close alike


def stream(choice: Choice, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2) -> AnyStream:
    """The answer in pieces as the model writes them (for a chat that shows it growing); not cached."""
    if choice.provider == "embedded":
        return llm_local.stream(choice.model, messages, max_tokens=max_tokens, temperature=temperature,
                                owner=choice.owner)
    return Pieces(llm_remote.stream(choice.provider, choice.model, messages, api_key=choice.api_key,
                                    api_base=choice.api_base, max_tokens=max_tokens, temperature=temperature,
                                    timeout=get_settings().llm_timeout_seconds))


def model_wait(user_id: object) -> llm_local.Place | None:
    """Whether the user's request waits for the embedded model in this process, and how many requests
    are ahead of it (the one being written counted); None when they have none there."""
    return llm_local.position(str(user_id))


POLL_S = 1.0  # how often a reader waiting for its first piece says where it stands


async def follow(pieces: AnyStream, *, join: bool = False) -> AsyncIterator[tuple[str, object]]:
    """A stream read from async code: ("waiting", ahead) now and then while the request waits for the
    model, then ("text", piece) for each piece; with `join`, one piece for all that came since the
    last (a page redrawn once per burst, not per word). Leaving early (the loop broken, the task cancelled
    because the reader went away) closes the stream, which gives up its place or stops the model."""
    loop = asyncio.get_running_loop()
    arrived: asyncio.Queue = asyncio.Queue()

    def hand_over(item: object) -> None:
        try:
            loop.call_soon_threadsafe(arrived.put_nowait, item)
        except RuntimeError:  # the loop is gone: so is the reader
            pieces.close()

    def read() -> None:
        try:
            for piece in pieces:
                hand_over(("text", piece))
        except Exception as e:  # noqa: BLE001  (raised again on the reader's side)
            hand_over(("error", e))
        finally:
            hand_over(None)

    threading.Thread(target=read, name="llm-follow", daemon=True).start()
    started = False
    try:
        while True:
            if not started and (place := pieces.place()) is not None and place.waiting:
                yield "waiting", place.ahead
            try:
                items = [await asyncio.wait_for(arrived.get(), POLL_S)]
            except TimeoutError:
                continue
            while join and not arrived.empty():
                items.append(arrived.get_nowait())
            text = []
            for item in items:
                if item is None:
                    break
                if item[0] == "error":
                    raise item[1]
                text.append(item[1])
            if text:
                started = True
                yield "text", "".join(text)
            if None in items:
                return
    finally:
        pieces.close()


def describe_default() -> dict:
    """What answers when a user has chosen nothing: for /health/llm."""
    choice = choose(None)
    info = {"provider": choice.provider, "model": choice.model}
    if choice.provider == "embedded":
        info["installed"] = llm_local.installed(choice.model)
    return info
