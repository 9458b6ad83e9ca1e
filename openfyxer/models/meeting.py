"""Meeting recordings and what was made of them: the meeting, and its transcript in segments."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow

# queued -> transcribing -> done; failed keeps the reason in `error`.
STATUSES = ("queued", "transcribing", "done", "failed")
# The minutes: none -> summarizing -> done | failed (the reason in `minutes_error`).
MINUTES_STATUSES = ("none", "summarizing", "done", "failed")


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    calendar_event_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("calendar_events.id", ondelete="SET NULL"), nullable=True))
    title: str = Field(default="", max_length=300)
    # The upload as it came, under the data folder (kept to play it back), beside its decoded audio.
    audio_file_path: str | None = Field(default=None, max_length=500)
    filename: str = Field(default="", max_length=255)
    file_size: int = 0
    status: str = Field(default="queued", max_length=20)
    error: str | None = Field(default=None, max_length=500)
    # The decoded audio's length in samples (16 kHz mono); progress is done_samples / samples.
    samples: int = 0
    done_samples: int = 0
    # Chunks whose segments are committed: a resumed job starts at this chunk and this sample.
    chunks_done: int = 0
    language: str | None = Field(default=None, max_length=8)
    language_forced: bool = False
    transcript: str | None = Field(default=None, sa_type=Text)
    summary: str | None = Field(default=None, sa_type=Text)
    action_items: list[str] = Field(default_factory=list, sa_type=JSONType)
    transcribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the meeting took place (the linked event's start, else the upload's time): what "by Friday"
    # in the transcript is read against. [{"name", "email"}]: the linked event's, or typed by the user.
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attendees: list[dict] = Field(default_factory=list, sa_type=JSONType)
    # The minutes as one document (models/meeting_minutes.Minutes): written whole by the job, edited
    # whole by the user; `minutes_edited` keeps an automatic run from overwriting the user's edits.
    minutes: dict = Field(default_factory=dict, sa_type=JSONType)
    minutes_status: str = Field(default="none", max_length=20)
    minutes_error: str | None = Field(default=None, max_length=500)
    minutes_edited: bool = False
    # The job's progress: the plan of parts and each finished part's findings, so a killed run resumes at
    # the next part. `minutes_generation` counts requests: a run whose request was superseded drops its work.
    minutes_work: dict = Field(default_factory=dict, sa_type=JSONType)
    minutes_generation: int = 0
    follow_up_draft_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("drafts.id", ondelete="SET NULL"), nullable=True))


class TranscriptSegment(SQLModel, table=True):
    """One line of the transcript. Keyed (meeting, chunk, seq): a chunk's segments are written in the
    transaction that marks the chunk done, so a resumed job cannot write one twice."""

    __tablename__ = "transcript_segments"
    __table_args__ = (UniqueConstraint("meeting_id", "chunk_index", "seq", name="uq_transcript_segments_place"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    meeting_id: uuid.UUID = Field(sa_column=Column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False))
    chunk_index: int
    seq: int
    start_s: float
    end_s: float
    text: str = Field(sa_type=Text)
    speaker: str | None = Field(default=None, max_length=100)  # a diarization plug-in's label; none yet


SAMPLE_RATE = 16000


class MeetingPublic(BaseModel):
    id: uuid.UUID
    title: str
    filename: str
    file_size: int
    status: str
    error: str | None
    duration_s: float
    progress: float  # share of the audio transcribed, 0..1
    language: str | None
    created_at: datetime
    transcribed_at: datetime | None
    started_at: datetime | None = None
    minutes_status: str = "none"  # none | summarizing | done | failed
    follow_up_draft_id: uuid.UUID | None = None

    @classmethod
    def of(cls, m: Meeting) -> "MeetingPublic":
        return cls(id=m.id, title=m.title, filename=m.filename, file_size=m.file_size, status=m.status, error=m.error,
                   duration_s=round(m.samples / SAMPLE_RATE, 3), progress=progress(m), language=m.language,
                   created_at=m.created_at, transcribed_at=m.transcribed_at, started_at=m.started_at,
                   minutes_status=m.minutes_status, follow_up_draft_id=m.follow_up_draft_id)


def progress(m: Meeting) -> float:
    if m.status == "done":
        return 1.0
    return round(min(1.0, m.done_samples / m.samples), 4) if m.samples else 0.0


class SegmentOut(BaseModel):
    start_s: float
    end_s: float
    text: str
    speaker: str | None = None


class MeetingDetail(MeetingPublic):
    segments: list[SegmentOut]
    attendees: list[dict] = []  # [{"name", "email"}]
    minutes: dict | None = None  # models/meeting_minutes.Minutes, as stored
    minutes_error: str | None = None
    minutes_edited: bool = False


class MeetingList(BaseModel):
    items: list[MeetingPublic]
    total: int
