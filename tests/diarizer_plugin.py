"""A diarization plug-in for the tests (OPENFYXER_DIARIZER=tests.diarizer_plugin:by_pitch): it tells the two
espeak-ng voices of tests/speech.py apart by the pitch of their voiced frames (a low and a high voice).
Real code over the real decoded audio, enough to exercise the plug-in point; not a diarizer for people."""

from __future__ import annotations

import numpy as np

RATE = 16000


def pitch(samples: np.ndarray) -> float:
    """Median fundamental frequency (Hz) of the loud 40 ms frames, by autocorrelation (70-400 Hz)."""
    frame, found = 640, []
    lo, hi = RATE // 400, RATE // 70
    for start in range(0, len(samples) - frame, frame):
        x = samples[start:start + frame].astype(np.float64)
        if np.sqrt(np.mean(x * x)) < 500:  # quiet: no voice to measure
            continue
        x -= x.mean()
        corr = np.correlate(x, x, "full")[frame - 1:]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.3 * corr[0]:
            found.append(RATE / lag)
    return float(np.median(found)) if found else 0.0


def by_pitch(pcm_path: str, times: list[tuple[float, float]]) -> list[str | None]:
    pcm = np.memmap(pcm_path, dtype="<i2", mode="r")
    out = []
    for start, end in times:
        f0 = pitch(np.asarray(pcm[int(start * RATE):int(end * RATE)]))
        out.append(None if not f0 else ("Speaker 1" if f0 < 160 else "Speaker 2"))
    return out
