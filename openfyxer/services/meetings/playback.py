"""Playing a meeting back: its decoded sound as a WAV file, read by byte ranges, and addresses that
let the dashboard's <audio> element fetch it without a bearer header.

The decoded 16 kHz mono PCM (audio.py) is what is played, not the upload: every browser plays WAV,
and the bytes a stranger sent are never served. An address holds the meeting, its owner and an
expiry, signed with a key derived from the server's secret; it opens that one recording, for a few
hours, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session

from openfyxer.core.config import get_settings
from openfyxer.core.errors import AuthError, NotFound, ValidationError
from openfyxer.models.user import User
from openfyxer.services.meetings.audio import BYTES_PER_SAMPLE, SAMPLE_RATE

KEY_LIFETIME_S = 6 * 3600
HEADER = 44


def wav_header(samples: int) -> bytes:
    data = samples * BYTES_PER_SAMPLE
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * BYTES_PER_SAMPLE, BYTES_PER_SAMPLE, 16) +
            b"data" + struct.pack("<I", data))


def size(samples: int) -> int:
    return HEADER + samples * BYTES_PER_SAMPLE


def stream(pcm: Path, samples: int, start: int, end: int, block: int = 256 * 1024) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of the WAV file made of the header and the PCM, a block at a time:
    an hour is 115 MB, and a player asks for all of it from wherever it seeks to."""
    head = wav_header(samples)
    if start < HEADER:
        yield head[start:min(end, HEADER - 1) + 1]
    if end < HEADER:
        return
    with open(pcm, "rb") as f:
        f.seek(max(0, start - HEADER))
        left = end + 1 - max(start, HEADER)
        while left > 0 and (data := f.read(min(block, left))):
            left -= len(data)
            yield data


def byte_range(header: str | None, total: int) -> tuple[int, int] | None:
    """The one range a `Range: bytes=a-b` header asks for, clipped to the file; None for the whole file.
    ValidationError for a range that cannot be served (416)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # several ranges or another unit: the whole file, as RFC 9110 allows
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":  # the last N bytes
            n = int(last)
            start, end = max(0, total - n), total - 1
        else:
            start, end = int(first), min(int(last) if last else total - 1, total - 1)
    except ValueError:
        return None
    if start >= total or start > end or start < 0:
        raise ValidationError("the range asked for is outside the recording", code="range_not_satisfiable")
    return start, end


def _mac(meeting_id: uuid.UUID, user_id: uuid.UUID, expires: int) -> str:
    key = hashlib.sha256(b"openfyxer meeting audio\0" + get_settings().secret_key.encode()).digest()
    return hmac.new(key, f"{meeting_id}:{user_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]


def key_for(meeting_id: uuid.UUID, user_id: uuid.UUID, now: float | None = None) -> str:
    expires = int((now or time.time()) + KEY_LIFETIME_S)
    return f"{user_id.hex}.{expires}.{_mac(meeting_id, user_id, expires)}"


def user_of(meeting_id: uuid.UUID, key: str, now: float | None = None) -> uuid.UUID:
    """The owner a key was made for, if it is this meeting's, genuine and not expired."""
    try:
        owner, expires, mac = key.split(".")
        user_id, until = uuid.UUID(hex=owner), int(expires)
    except ValueError:
        raise AuthError("not a playback key", code="not_authenticated") from None
    if until < (now or time.time()) or not hmac.compare_digest(mac, _mac(meeting_id, user_id, until)):
        raise AuthError("the playback key is wrong or has expired", code="not_authenticated")
    return user_id


def listener(session: Session, meeting_id: uuid.UUID, key: str) -> User:
    """Whom a playback key lets hear this meeting: its owner, while their account is active."""
    user = session.get(User, user_of(meeting_id, key))
    if user is None or not user.is_active:
        raise NotFound("no such meeting")
    return user
