"""The transcript cut into parts that each fit the model's context, whole: every line in exactly one
part, in spoken order, none cut short. A part is as many lines as fit the budget left once the fixed
instructions, the worked example and the answer are counted."""

from __future__ import annotations

from dataclasses import dataclass

from openfyxer.core.config import get_settings
from openfyxer.services.assistant import llm

# Characters per token, low on purpose: Romanian with diacritics and numbers tokenise at about 2.5-3
# with the packaged models' tokenizers (English nearer 4). Erring low only means one part more.
CHARS_PER_TOKEN = 2.5
# The fixed instructions, the worked example and the task's own words, in tokens (measured at about
# 520 with the Qwen tokenizer; rounded up).
PROMPT_TOKENS = 700
MIN_PART_CHARS = 600


@dataclass(frozen=True)
class Part:
    first: int  # the index of its first line in the transcript (0-based)
    end: int  # one past its last


def context_tokens(choice: llm.Choice) -> int:
    """The context the model that will read the transcript has: the embedded model's is ours to set."""
    s = get_settings()
    return s.local_model_context if choice.provider == "embedded" else s.minutes_context_tokens


def budget_chars(context: int, answer_tokens: int) -> int:
    """How many characters of numbered transcript lines one request may carry."""
    return max(MIN_PART_CHARS, int((context - PROMPT_TOKENS - answer_tokens) * CHARS_PER_TOKEN))


def numbered(index: int, text: str) -> str:
    """A transcript line as the model sees it; numbers start at 1 for people and models alike."""
    return f"[{index + 1}] {' '.join(text.split())}"


def plan(texts: list[str], budget: int) -> list[Part]:
    """Consecutive parts covering every line once. A line longer than the budget alone (Whisper writes
    at most about 30 s in one) is a part by itself, never cut."""
    parts: list[Part] = []
    start, used = 0, 0
    for i, text in enumerate(texts):
        size = len(numbered(i, text)) + 1
        if i > start and used + size > budget:
            parts.append(Part(start, i))
            start, used = i, 0
        used += size
    if start < len(texts):
        parts.append(Part(start, len(texts)))
    return parts
