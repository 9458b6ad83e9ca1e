"""Who spoke when: a plug-in point, and labels renamed to the people who were there.

No speaker-diarization model can be installed offline here: pyannote's and WeSpeaker's weights come
from Hugging Face or GitHub at run time, and the one speaker encoder that ships inside a PyPI package
(resemblyzer's, GE2E), run over pyannote's real two-speaker sample, labelled between 55 % and 94 % of
the speech right depending on settings no one could choose for a meeting they have not heard. A guess
that wrong would be a fake label, so none is made by default.

`OPENFYXER_DIARIZER` names a function ("package.module:function") that does it: given the decoded
audio (16 kHz mono s16 PCM file) and the transcript's (start, end) times in seconds, it returns one
label or None per line ("Speaker 1", ...). It runs as its own job after the transcript is written, so
a plug-in that fails leaves the transcript as it is. Labels are data: they are shown and can be
renamed to an attendee, nothing more.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable

from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import ValidationError
from openfyxer.models.meeting import Meeting, TranscriptSegment
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.meetings import recordings

log = logging.getLogger(__name__)
MAX_LABEL = 100


def plugin() -> Callable | None:
    name = get_settings().diarizer.strip()
    if not name:
        return None
    module, _, func = name.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as e:
        raise ValidationError(f"OPENFYXER_DIARIZER={name!r} cannot be loaded: {e}", code="diarizer_missing") from e


def diarize_meeting(*, meeting_id: uuid.UUID) -> str:
    """The job: label the meeting's lines with the plug-in, once; "off" when none is configured."""
    label = plugin()
    if label is None:
        return "off"
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None or meeting.status != "done":
            return "gone" if meeting is None else "not transcribed"
        pcm = str(recordings.pcm_path(meeting))
        times = [(g.id, g.start_s, g.end_s) for g in recordings.segments(s, meeting_id)]
    labels = list(label(pcm, [(start, end) for _, start, end in times]))
    if len(labels) != len(times):
        raise ValidationError(f"the diarizer gave {len(labels)} labels for {len(times)} lines", code="diarizer_failed")
    with session_scope() as s:
        for (segment_id, *_), name in zip(times, labels, strict=True):
            segment = s.get(TranscriptSegment, segment_id)
            if segment is not None and segment.speaker is None:  # a name the user gave stays
                segment.speaker = str(name).strip()[:MAX_LABEL] if name else None
    return "labelled"


def rename(session: Session, *, user: User, meeting_id: uuid.UUID, label: str, name: str,
           ip: str | None = None) -> int:
    """Every line labelled `label` now says `name` (an attendee's name, or any); the count changed."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    new = " ".join(name.split())[:MAX_LABEL]
    if not new:
        raise ValidationError("a speaker's name cannot be empty", code="invalid_speaker")
    rows = session.exec(select(TranscriptSegment).where(TranscriptSegment.meeting_id == meeting.id,
                                                        TranscriptSegment.speaker == label)).all()
    if not rows:
        raise ValidationError(f"no line is labelled {label!r}", code="unknown_speaker")
    for row in rows:
        row.speaker = new
        session.add(row)
    session.flush()
    audit.record(session, action="meeting.speaker_renamed", user_id=user.id, entity_type="meeting",
                 entity_id=meeting.id, details={"lines": len(rows)}, ip=ip)
    return len(rows)


def labels(session: Session, meeting_id: uuid.UUID) -> list[str]:
    """The speakers named in the transcript, in the order they first speak."""
    seen: dict[str, None] = {}
    for segment in recordings.segments(session, meeting_id):
        if segment.speaker:
            seen.setdefault(segment.speaker, None)
    return list(seen)
