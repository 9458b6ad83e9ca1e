"""/api/v1/meetings: recordings uploaded, transcribed by a job, read back with their progress."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut, InvalidOut
from openfyxer.models.meeting import MeetingDetail, MeetingList, MeetingPublic, SegmentOut
from openfyxer.services.meetings import export, recordings

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERRORS)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such meeting"}}
_TRANSCRIPT = {200: {"description": "The transcript so far: timed text, SubRip or WebVTT",
                     "content": {media: {"schema": {"type": "string"}} for media, _ in export.FORMATS.values()}},
               **_NOT_FOUND}
_UPLOAD_ERRORS = {
    413: {"model": ErrorOut, "description": "The request is over the recording size limit"},
    422: {"model": InvalidOut, "description": "No file; too large, empty, too long, or not a readable recording"},
    503: {"model": ErrorOut, "description": "The speech model is not installed"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingPublic, responses=_UPLOAD_ERRORS)
def upload(caller: CurrentCaller, db: DB, file: Annotated[UploadFile, File()],
           title: Annotated[str | None, Form(max_length=300)] = None,
           language: Annotated[str | None, Form(pattern="^[A-Za-z]{2,3}$")] = None) -> MeetingPublic:
    """wav, mp3, m4a/aac, ogg/opus, webm, flac, mp4/mov (the sound track); `language` (en, ro, ...) forces
    the transcript's language instead of detecting it. Transcribed in the background: GET it for progress."""
    # A plain `def`: in a worker thread, so the copy to disk and the decoding (in a sandboxed process)
    # never hold up the event loop. The body is spooled to disk by the form parser, then copied in blocks.
    meeting = recordings.create(db, user=caller.user, stream=file.file, filename=file.filename, title=title,
                                language=language, ip=caller.ip)
    db.commit()
    return MeetingPublic.of(meeting)


@router.get("", response_model=MeetingList)
def list_meetings(caller: CurrentCaller, db: DB, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> MeetingList:
    rows, total = recordings.list_meetings(db, user=caller.user, limit=limit, offset=offset)
    return MeetingList(items=[MeetingPublic.of(m) for m in rows], total=total)


@router.get("/{meeting_id}", response_model=MeetingDetail, responses=_NOT_FOUND)
def get_meeting(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB) -> MeetingDetail:
    """The meeting with its progress and the transcript's segments so far."""
    meeting = recordings.get(db, user=caller.user, meeting_id=meeting_id)
    segments = [SegmentOut(start_s=s.start_s, end_s=s.end_s, text=s.text, speaker=s.speaker)
                for s in recordings.segments(db, meeting.id)]
    return MeetingDetail(**MeetingPublic.of(meeting).model_dump(), segments=segments)


@router.get("/{meeting_id}/transcript", response_class=Response, responses=_TRANSCRIPT)
def get_transcript(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB,
                   format: Annotated[Literal["txt", "srt", "vtt"], Query()] = "txt") -> Response:  # noqa: A002
    """The transcript as a file: `txt` (one "[mm:ss] text" line per segment), `srt` or `vtt`. While the
    meeting is still being transcribed, what is done so far."""
    meeting = recordings.get(db, user=caller.user, meeting_id=meeting_id)
    media, ext = export.FORMATS[format]
    body = export.render(format, recordings.segments(db, meeting.id))
    name = export.filename(meeting.title, ext)
    return Response(body, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


@router.delete("/{meeting_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
def delete_meeting(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB) -> None:
    """The meeting, its transcript and its audio."""
    recordings.remove(db, user=caller.user, meeting_id=meeting_id, ip=caller.ip)
    db.commit()
