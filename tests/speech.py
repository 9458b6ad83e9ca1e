"""Real speech for the meeting tests: espeak-ng (Debian) reads known sentences, PyAV encodes them.

Synthetic speech is not a person in a room, but it is real audio with known words, made offline,
and Whisper must hear it through every container and codec a user may upload.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

RATE = 22050  # what espeak-ng writes

# Plain words Whisper base hears reliably; each sentence names a keyword the tests look for.
SCRIPT = (
    ("budget", "Good morning everyone, today we review the quarterly budget."),
    ("thursday", "The design review is moved to Thursday afternoon."),
    ("invoice", "Maria will send the invoice to the customer tomorrow."),
    ("hiring", "We agreed to pause hiring until the end of the month."),
    ("server", "The new server arrives next week and Peter will install it."),
    ("marketing", "The marketing team needs the final numbers by Friday."),
    ("holiday", "Please tell me about your holiday plans before June."),
    ("contract", "The lawyers are still reading the contract with the supplier."),
    ("training", "Everyone should finish the security training this week."),
    ("coffee", "Thank you all, and let us take a short coffee break."),
)


def need_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng is not installed (.ci/run installs it: apt-get install espeak-ng)")
    return exe


def say(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """int16 samples at RATE of espeak-ng reading `text`."""
    wav = subprocess.run([need_espeak(), "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def meeting(sentences=SCRIPT, pause_s: float = 1.5) -> np.ndarray:
    """The sentences one after another with a pause between them, as in a slow meeting."""
    gap = np.zeros(int(pause_s * RATE), dtype="<i2")
    parts = []
    for _, text in sentences:
        parts += [say(text), gap]
    return np.concatenate(parts)


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


# (file suffix, PyAV container format, codec, sample format the encoder takes, rate)
FORMATS = {
    "mp3": ("mp3", "libmp3lame", "s16p", 22050),
    "m4a": ("ipod", "aac", "fltp", 44100),
    "ogg": ("ogg", "libopus", "s16", 48000),
    "webm": ("webm", "libopus", "s16", 48000),
    "flac": ("flac", "flac", "s16", 22050),
    "mp4": ("mp4", "aac", "fltp", 44100),
}


def encode(samples: np.ndarray, suffix: str, path: Path, stereo: bool = True, rate: int = RATE) -> Path:
    """`samples` (int16 at `rate`) encoded into `path` (stereo, so decoding must also mix down)."""
    import av

    fmt, codec, sample_format, out_rate = FORMATS[suffix]
    layout = "stereo" if stereo else "mono"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=out_rate, layout=layout)
        resampler = av.AudioResampler(format=sample_format, layout=layout, rate=out_rate)
        step = rate  # a second at a time
        for i in range(0, len(samples), step):
            block = samples[i:i + step].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
            for f in resampler.resample(frame):
                out.mux(stream.encode(f))
        for f in resampler.resample(None):
            out.mux(stream.encode(f))
        out.mux(stream.encode(None))
    return path


SAMPLE_DIR = Path(__file__).resolve().parents[1] / ".venv" / "pyannote-sample"


def real_sample() -> tuple[bytes, list[tuple[str, float, float, str]]]:
    """pyannote-audio's 30 s two-speaker telephone recording (16 kHz WAV) and its reference transcript
    as (speaker, start, end, words), taken out of the wheel by `make install-test`."""
    wav, stm = SAMPLE_DIR / "sample.wav", SAMPLE_DIR / "sample.stm"
    if not stm.exists():
        pytest.fail(f"{stm} is missing: `make install-test` takes it out of the {'pyannote-audio'} wheel")
    lines = []
    for line in stm.read_text().splitlines():
        _, _, who, start, end, words = line.split(None, 5)
        lines.append((who, float(start), float(end), words))
    return wav.read_bytes(), lines


def words(text: str) -> list[str]:
    """Lower case, no punctuation, contractions kept ("didn't"): what WER compares."""
    import re

    return re.findall(r"[a-zăâîșțşţ0-9]+(?:'[a-z]+)?", text.lower())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words (Levenshtein on words)."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
