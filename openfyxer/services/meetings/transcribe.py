"""Transcription as a job, chunk by chunk, resumable.

The job reads the decoded audio (16 kHz mono PCM written at upload, see audio.py) one chunk at a
time, so a two-hour recording needs the memory of one chunk and the model. Each chunk's segments
are committed in the same transaction that moves the meeting's `chunks_done` / `done_samples`
forward: a worker killed mid-chunk loses that chunk's work only, and the next run (the periodic
`resume_meetings`, or the same job queued again) starts at the first chunk not committed. The
chunk index is part of each segment's key, so no run can write a segment twice.
"""

from __future__ import annotations

import logging
import time
import uuid

import numpy as np
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.core.later import later
from openfyxer.integrations import whisper
from openfyxer.models.meeting import Meeting, TranscriptSegment
from openfyxer.models.types import utcnow
from openfyxer.services.meetings import minutes, recordings
from openfyxer.services.meetings.audio import SAMPLE_RATE

log = logging.getLogger(__name__)

# Whisper hears 30 s at a time; a chunk of about 45 s gives it one and a half windows of context
# while keeping what a kill can lose to well under a minute of work.
CHUNK_S = 45
# The cut falls at the quietest tenth of a second in the chunk's last 10 s, between words where
# there is a pause, rather than through one. It depends on the audio alone, so a resumed run cuts
# exactly where the killed one would have.
SEARCH_S = 10
FRAME = SAMPLE_RATE // 10
UNFINISHED = ("queued", "transcribing")
# One run works this long at most, then hands on to the next (below its job's 30-minute deadline): a
# four-hour recording on a slow machine is several runs, and a worker is never held past its limit.
RUN_BUDGET_S = 20 * 60
_clock = time.monotonic  # the tests move it


def cut(pcm: np.ndarray, start: int, total: int) -> int:
    """Where the chunk that begins at sample `start` ends."""
    end = start + CHUNK_S * SAMPLE_RATE
    if end >= total:
        return total
    lo = end - SEARCH_S * SAMPLE_RATE
    frames = pcm[lo:end].astype(np.float32).reshape(-1, FRAME)
    return lo + int(np.argmin((frames * frames).mean(axis=1))) * FRAME + FRAME // 2


def transcribe_meeting(*, meeting_id: uuid.UUID, stop_after: int | None = None) -> str:
    """Transcribe what is left of the meeting; returns its status ("gone" for a deleted one).
    `stop_after` ends the run after that many chunks (benchmarks, and tests of resuming)."""
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None or meeting.status not in UNFINISHED:
            return meeting.status if meeting else "gone"
        meeting.status, meeting.error = "transcribing", None
        forced = meeting.language if meeting.language_forced else None
        chunk, pos, total = meeting.chunks_done, meeting.done_samples, meeting.samples
        path = recordings.pcm_path(meeting)
    try:
        pcm = np.memmap(path, dtype="<i2", mode="r")
        done, until = 0, _clock() + RUN_BUDGET_S
        while pos < total and (stop_after is None or done < stop_after):
            if _clock() > until:
                _hand_on(meeting_id)
                return "transcribing"
            end = cut(pcm, pos, total)
            heard = whisper.transcribe(pcm[pos:end].astype(np.float32) / 32768.0, language=forced)
            if not _commit(meeting_id, chunk, pos, end, heard):
                return "gone"
            pos, chunk, done = end, chunk + 1, done + 1
    except Exception as e:
        _fail(meeting_id, e)
        raise
    return _finish(meeting_id) if pos >= total else "transcribing"


def _hand_on(meeting_id: uuid.UUID) -> None:
    """The next run, at once (the periodic resume_meetings would also find it, a few minutes later)."""
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is not None:
            later(s, "transcribe_meeting", meeting_id, owner=meeting.user_id)


def _commit(meeting_id: uuid.UUID, chunk: int, start: int, end: int, heard: whisper.Result) -> bool:
    """One chunk's segments and the progress they make, in one transaction. False when the meeting is
    gone or another run has already written this chunk (then this run stops)."""
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None or meeting.chunks_done != chunk:
            return False
        offset = start / SAMPLE_RATE
        for seq, seg in enumerate(heard.segments):
            s.add(TranscriptSegment(meeting_id=meeting_id, chunk_index=chunk, seq=seq, text=seg.text,
                                    start_s=round(offset + seg.start, 3), end_s=round(offset + seg.end, 3)))
        meeting.chunks_done, meeting.done_samples = chunk + 1, end
        # The meeting's language is the first one heard; each chunk is still heard on its own, so a
        # meeting that changes language is written in each.
        meeting.language = meeting.language or heard.language
    return True


def _finish(meeting_id: uuid.UUID) -> str:
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None:
            return "gone"
        meeting.transcript = "\n".join(seg.text for seg in recordings.segments(s, meeting_id))
        meeting.status, meeting.transcribed_at = "done", utcnow()
        later(s, "index_meeting", meeting_id, owner=meeting.user_id)  # its transcript into the knowledge store
        if get_settings().diarizer:
            later(s, "diarize_meeting", meeting_id, owner=meeting.user_id)  # who spoke, by the plug-in
        minutes.on_transcribed(s, meeting)
        return meeting.status


def _fail(meeting_id: uuid.UUID, error: Exception) -> None:
    log.exception("transcribing meeting %s failed", meeting_id)
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is not None:
            # Our own errors say what to do (a missing model); others only their kind: their text may
            # carry the server's paths, and the log has the whole of it.
            reason = error.message if isinstance(error, OpenFyxerError) else type(error).__name__
            meeting.status, meeting.error = "failed", f"transcription failed: {reason}"[:500]


def resume_unfinished(session: Session) -> int:
    """Declare the transcription of every meeting not finished: one whose worker was killed, or whose
    job the queue lost (the in-process queue forgets at a restart). Job ids are per meeting, so one
    that is still running is not started twice."""
    rows = session.exec(select(Meeting.id, Meeting.user_id).where(Meeting.status.in_(UNFINISHED))).all()
    for meeting_id, user_id in rows:
        later(session, "transcribe_meeting", meeting_id, owner=user_id)
    return len(rows)
