"""A stranger's recording read with PyAV (FFmpeg's decoders, no ffmpeg binary) in the sandbox.

A crafted file can make a decoder loop or allocate without end, so probing and decoding run in a
child process (core.sandbox) with memory and time limits. The child decodes the first audio track
once, at upload, into raw 16 kHz mono 16-bit PCM beside the upload: that tells at once whether the
file is readable, holds any audio and is not too long, and afterwards the transcription job reads
chunks of plain samples from that file (bounded memory, exact seeking) and never parses the
stranger's bytes itself.
"""

from __future__ import annotations

from pathlib import Path

from openfyxer.core import sandbox
from openfyxer.core.errors import ValidationError

SAMPLE_RATE = 16000
BYTES_PER_SAMPLE = 2  # s16le


def limits(max_seconds: float) -> sandbox.Limits:
    # FFmpeg decodes compressed speech at hundreds of times real time on one core: a CPU second per
    # minute of the longest recording allowed leaves a wide margin and still ends a decoder that spins.
    cpu = int(20 + max_seconds / 60)
    return sandbox.Limits(memory_mb=1024, cpu_seconds=cpu, wall_seconds=2 * cpu + 10)


def decode(src: Path, dst: Path, *, max_seconds: float, name: str) -> int:
    """Decode `src` into PCM at `dst`; returns the number of samples. A clear ValidationError (422)
    for a file that is not audio, is damaged, holds no sound or is longer than `max_seconds`."""
    try:
        return sandbox.run(to_pcm, str(src), str(dst), max_seconds, name, limits=limits(max_seconds))
    except sandbox.SandboxLimit as e:
        raise ValidationError(f"{name}: decoding it {e.message}, more than a recording may cost",
                              code="meeting_too_costly") from e
    except sandbox.SandboxError as e:
        raise ValidationError(f"{name}: cannot read the recording ({e.message})"[:300],
                              code="meeting_unreadable") from e


def _undecodable(name: str, e: Exception) -> ValidationError:
    # FFmpeg's own sentence, without the file name it adds: that is our path on the server.
    reason = getattr(e, "strerror", None) or type(e).__name__
    return ValidationError(f"{name}: not a recording that can be read ({reason})"[:300], code="meeting_unreadable")


def to_pcm(src: str, dst: str, max_seconds: float, name: str) -> int:
    """The decoding itself, run in the sandbox: `decode` is the way in."""
    import av

    cap = int(max_seconds * SAMPLE_RATE)
    try:
        container = av.open(src, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise _undecodable(name, e) from None
    with container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise ValidationError(f"{name}: the file has no sound track", code="meeting_no_audio")
        if container.duration and container.duration / 1_000_000 > max_seconds + 1:  # said in the header
            raise _too_long(name, max_seconds)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        total = 0
        with open(dst, "wb") as out:
            try:
                for frame in container.decode(stream):
                    for chunk in resampler.resample(frame):
                        total += _write(out, chunk)
                    if total > cap:  # a header may lie: what is decoded counts
                        raise _too_long(name, max_seconds)
                for chunk in resampler.resample(None):
                    total += _write(out, chunk)
            except (av.FFmpegError, ValueError) as e:
                raise _undecodable(name, e) from None
    if total > cap:
        raise _too_long(name, max_seconds)
    if total < SAMPLE_RATE // 10:
        raise ValidationError(f"{name}: the recording holds no sound", code="meeting_empty")
    return total


def _write(out, frame) -> int:  # noqa: ANN001
    samples = frame.to_ndarray()[0, : frame.samples]  # packed mono: one row, maybe padded
    out.write(samples.astype("<i2", copy=False).tobytes())
    return int(frame.samples)


def _too_long(name: str, max_seconds: float) -> ValidationError:
    return ValidationError(f"{name}: the recording is longer than the {max_seconds / 60:g} minutes allowed",
                           code="meeting_too_long")
