"""Which language an email is written in (replies answer in the same one)."""

from __future__ import annotations

import re
import threading

_RO_WORD_WITH_LETTER = re.compile(r"\w*[ăâîșşțţ]\w*", re.I)
_RO_WORDS = re.compile(r"\b(și|si|este|sunt|pentru|vă|va rog|mulțumesc|multumesc|bună|buna|ziua|când|cand|"
                       r"poți|poti|puteți|puteti|mâine|maine|întâlnire|intalnire|mulţumesc)\b", re.I)
_lock = threading.Lock()


def without_names(text: str, names: list[str]) -> str:
    """`text` with the words of people's names (or addresses) taken out, in any case: a name is no
    evidence of a language, and no subject two emails share."""
    for word in {w for name in names for w in re.findall(r"\w{2,}", name or "")}:
        text = re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.I)
    return text


def detect(text: str, default: str = "en") -> str:
    """An ISO 639-1 code. Romanian written without diacritics is common, so it gets its own check."""
    text = (text or "").strip()
    if len(text) < 3:
        return default
    sample = text[:2000]
    # One word with a Romanian letter is weak evidence (a name: "Ștefan", "Dragoș"); two distinct
    # ones, or one plus a common Romanian word, are not.
    letters = {w.lower() for w in _RO_WORD_WITH_LETTER.findall(sample)}
    words = len(_RO_WORDS.findall(sample))
    if len(letters) >= 2 or words >= 2 or (letters and words):
        return "ro"
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    with _lock:
        DetectorFactory.seed = 0  # deterministic answers for the same text
        try:
            best = detect_langs(sample)[0]
        except LangDetectException:
            return default
    return best.lang if best.prob > 0.7 else default
