"""Which language an email is written in (replies answer in the same one)."""

from __future__ import annotations

import re
import threading

_RO_LETTERS = re.compile("[ăâîșşțţ]", re.I)
_RO_WORDS = re.compile(r"\b(și|si|este|sunt|pentru|vă|va rog|mulțumesc|multumesc|bună|buna|ziua|când|cand|"
                       r"poți|poti|puteți|puteti|mâine|maine|întâlnire|intalnire|mulţumesc)\b", re.I)
_lock = threading.Lock()


def detect(text: str, default: str = "en") -> str:
    """An ISO 639-1 code. Romanian written without diacritics is common, so it gets its own check."""
    text = (text or "").strip()
    if len(text) < 3:
        return default
    sample = text[:2000]
    if _RO_LETTERS.search(sample) or len(_RO_WORDS.findall(sample)) >= 2:
        return "ro"
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    with _lock:
        DetectorFactory.seed = 0  # deterministic answers for the same text
        try:
            best = detect_langs(sample)[0]
        except LangDetectException:
            return default
    return best.lang if best.prob > 0.7 else default
