"""Meeting recordings: upload (streamed to disk, decoded in the sandbox), list, get, delete."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import timedelta
from pathlib import Path, PurePath
from typing import BinaryIO

from sqlalchemy import func
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.models.calendar import CalendarEvent
from openfyxer.models.meeting import Meeting, TranscriptSegment
from openfyxer.models.types import new_id
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.calendar import events
from openfyxer.services.meetings import audio

BLOCK = 1 << 20  # what is held in memory of an upload at once
ORIGINAL = "original"
PCM = "audio.pcm"


def folder(meeting_id: uuid.UUID) -> Path:
    """Where a meeting's files live: the upload as it came and its decoded audio."""
    return get_settings().data_dir / "meetings" / str(meeting_id)


def pcm_path(meeting: Meeting) -> Path:
    return folder(meeting.id) / PCM


def _name(filename: str | None) -> str:
    name = PurePath((filename or "").replace("\\", "/")).name
    return "".join(ch for ch in name if ch.isprintable()).strip()[-255:] or "recording"


def _suffix(name: str) -> str:
    # Kept only to tell a player what the file is; it never decides how it is decoded.
    suffix = PurePath(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _save(stream: BinaryIO, target: Path, limit_mb: int, name: str) -> int:
    """Copy the upload block by block, never more than the limit; returns its size."""
    size = 0
    with open(target, "wb") as out:
        while block := stream.read(BLOCK):
            size += len(block)
            if size > limit_mb * 1024 * 1024:
                raise ValidationError(f"{name}: the recording is over the {limit_mb} MB limit",
                                      code="meeting_too_large")
            out.write(block)
    if size == 0:
        raise ValidationError(f"{name}: the file is empty", code="meeting_empty")
    return size


def _language(language: str | None) -> str | None:
    if not language:
        return None
    from openfyxer.integrations import whisper

    code = language.strip().lower()
    if code not in whisper.languages():
        raise ValidationError(f"unknown language {language!r}: give a code such as en or ro", code="invalid_language")
    return code


def create(session: Session, *, user: User, stream: BinaryIO, filename: str | None, title: str | None = None,
           language: str | None = None, ip: str | None = None) -> Meeting:
    """Keep the upload, decode it in the sandbox (refusing what cannot be read, holds no sound or is too
    long, and leaving nothing behind then), record the meeting; it is transcribed by a job."""
    s = get_settings()
    name, forced = _name(filename), _language(language)
    meeting_id = new_id()
    where = folder(meeting_id)
    where.mkdir(parents=True)
    try:
        original = where / (ORIGINAL + _suffix(name))
        size = _save(stream, original, s.max_meeting_mb, name)
        samples = audio.decode(original, where / PCM, max_seconds=s.max_meeting_minutes * 60, name=name)
    except BaseException:
        shutil.rmtree(where, ignore_errors=True)
        raise
    meeting = Meeting(id=meeting_id, user_id=user.id, title=(title or "").strip()[:300] or PurePath(name).stem[:300],
                      filename=name, file_size=size, samples=samples, language=forced, language_forced=bool(forced),
                      audio_file_path=str(original.relative_to(s.data_dir)))
    session.add(meeting)
    session.flush()
    audit.record(session, action="meeting.upload", user_id=user.id, entity_type="meeting", entity_id=meeting.id,
                 details={"filename": name, "size": size, "seconds": round(samples / audio.SAMPLE_RATE)}, ip=ip)
    later(session, "transcribe_meeting", meeting.id, owner=user.id)
    return meeting


def list_meetings(session: Session, *, user: User, limit: int = 50, offset: int = 0) -> tuple[list[Meeting], int]:
    """Newest first."""
    where = Meeting.user_id == user.id
    total = session.exec(select(func.count()).select_from(Meeting).where(where)).one()
    rows = session.exec(select(Meeting).where(where).order_by(Meeting.created_at.desc(), Meeting.id)
                        .limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get(session: Session, *, user: User, meeting_id: uuid.UUID) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.user_id != user.id:
        raise NotFound("no such meeting")
    return meeting


def segments(session: Session, meeting_id: uuid.UUID) -> list[TranscriptSegment]:
    """The transcript in spoken order."""
    return list(session.exec(select(TranscriptSegment).where(TranscriptSegment.meeting_id == meeting_id)
                             .order_by(TranscriptSegment.chunk_index, TranscriptSegment.seq)).all())


# A recording is usually uploaded soon after the meeting ends, sometimes days later, rarely before.
EVENTS_BEFORE = timedelta(days=7)
EVENTS_AFTER = timedelta(days=1)


def events_near(session: Session, *, user: User, meeting: Meeting, limit: int = 30) -> list[CalendarEvent]:
    """The user's calendar events around the meeting's upload, the likeliest first: the one that ended
    closest to the upload. The event it is linked to is always among them."""
    uploaded = meeting.created_at
    found = events.list_events(session, user=user, start=uploaded - EVENTS_BEFORE, end=uploaded + EVENTS_AFTER)
    found.sort(key=lambda e: abs((e.end_time - uploaded).total_seconds()))
    found = found[:limit]
    linked = linked_event(session, meeting)
    if linked is not None and all(e.id != linked.id for e in found):
        found.insert(0, linked)
    return found


def linked_event(session: Session, meeting: Meeting) -> CalendarEvent | None:
    """The calendar event the meeting is linked to, if it is still there."""
    return session.get(CalendarEvent, meeting.calendar_event_id) if meeting.calendar_event_id else None


def link_event(session: Session, *, user: User, meeting_id: uuid.UUID, event_id: uuid.UUID | None) -> Meeting:
    """Link the meeting to one of the user's calendar events (its title, time and attendees), or unlink it
    with None."""
    meeting = get(session, user=user, meeting_id=meeting_id)
    if event_id is not None:
        event = session.get(CalendarEvent, event_id)
        if event is None or event.user_id != user.id:
            raise NotFound("no such calendar event")
    meeting.calendar_event_id = event_id
    session.add(meeting)
    session.flush()
    return meeting


def remove(session: Session, *, user: User, meeting_id: uuid.UUID, ip: str | None = None) -> None:
    """The row and its transcript (by cascade); its files go in a job after the commit, so a delete
    that rolls back keeps them. A transcription still running finds the row gone at its next chunk."""
    meeting = get(session, user=user, meeting_id=meeting_id)
    session.delete(meeting)
    session.flush()
    audit.record(session, action="meeting.delete", user_id=user.id, entity_type="meeting", entity_id=meeting_id,
                 details={"filename": meeting.filename}, ip=ip)
    later(session, "forget_meeting", meeting_id, owner=user.id)
    # The row is gone when the job runs: it is told whose store to clean.
    later(session, "unindex_meeting", user.id, meeting_id, owner=user.id)


def forget_files(*, meeting_id: uuid.UUID) -> bool:
    """Remove a deleted meeting's files; False (and nothing removed) while its row still exists."""
    with session_scope() as s:
        if s.get(Meeting, meeting_id) is not None:
            return False
    shutil.rmtree(folder(meeting_id), ignore_errors=True)
    return True
