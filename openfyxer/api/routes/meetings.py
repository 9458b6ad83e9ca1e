"""/api/v1/meetings: recordings uploaded, transcribed by a job, read back with their progress."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status
from fastapi.responses import Response

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut, InvalidOut
from openfyxer.models.meeting import MeetingDetail, MeetingList, MeetingPublic, SegmentOut
from openfyxer.models.meeting_minutes import (FollowUpDraftOut, MeetingDetailsUpdate, MinutesEdit, MinutesOut,
                                              ReminderOut, RemindRequest, SummarizeRequest)
from openfyxer.services.meetings import editing, export, followup, minutes, recordings, reminders

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERRORS)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such meeting"}}
_ERR = {**_NOT_FOUND, 409: {"model": ErrorOut, "description": "Not transcribed yet, minutes edited (ask with "
                                                              "overwrite_edits), no minutes yet, or no mail account"}}
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
    return MeetingDetail(**MeetingPublic.of(meeting).model_dump(), segments=segments, attendees=meeting.attendees,
                         minutes=meeting.minutes or None, minutes_error=meeting.minutes_error,
                         minutes_edited=meeting.minutes_edited)


@router.patch("/{meeting_id}", response_model=MeetingPublic, responses=_NOT_FOUND)
def update_meeting(meeting_id: uuid.UUID, data: MeetingDetailsUpdate, caller: CurrentCaller, db: DB) -> MeetingPublic:
    """Title, attendees ([{name, email}]), the calendar event it was (its attendees and start), when it began."""
    meeting = editing.details(db, user=caller.user, meeting_id=meeting_id, data=data, ip=caller.ip)
    db.commit()
    return MeetingPublic.of(meeting)


@router.get("/{meeting_id}/minutes", response_model=MinutesOut, responses=_NOT_FOUND)
def get_minutes(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB) -> MinutesOut:
    return editing.public(recordings.get(db, user=caller.user, meeting_id=meeting_id))


@router.post("/{meeting_id}/summarize", status_code=status.HTTP_202_ACCEPTED, response_model=MinutesOut,
             responses=_ERR)
def summarize(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB,
              data: SummarizeRequest | None = None) -> MinutesOut:
    """Write the minutes again, in the background. Minutes you edited are replaced only with overwrite_edits."""
    meeting = minutes.request(db, user=caller.user, meeting_id=meeting_id,
                              overwrite_edits=bool(data and data.overwrite_edits), ip=caller.ip)
    db.commit()
    return editing.public(meeting)


@router.patch("/{meeting_id}/minutes", response_model=MinutesOut, responses=_NOT_FOUND)
def edit_minutes(meeting_id: uuid.UUID, data: MinutesEdit, caller: CurrentCaller, db: DB) -> MinutesOut:
    """Each section given replaces that section (items left out are removed); edited minutes are yours."""
    meeting = editing.edit(db, user=caller.user, meeting_id=meeting_id, data=data, ip=caller.ip)
    db.commit()
    return editing.public(meeting)


@router.post("/{meeting_id}/follow-up", response_model=FollowUpDraftOut, responses=_ERR)
def follow_up(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB) -> FollowUpDraftOut:
    """The follow-up email to the attendees, as a draft waiting for approval; the same draft if asked again."""
    draft, created = followup.write(db, user=caller.user, meeting_id=meeting_id, ip=caller.ip)
    db.commit()
    return FollowUpDraftOut(draft_id=draft.id, created=created)


@router.post("/{meeting_id}/items/{index}/remind", response_model=ReminderOut, responses=_NOT_FOUND)
def remind(meeting_id: uuid.UUID, index: Annotated[int, Path(ge=0, le=10_000)], caller: CurrentCaller, db: DB,
           data: RemindRequest | None = None) -> ReminderOut:
    """A reminder of the action item at `index` on its due date (or at `at`), told as a follow-up notification."""
    row = reminders.remind(db, user=caller.user, meeting_id=meeting_id, index=index, at=data.at if data else None,
                           ip=caller.ip)
    db.commit()
    return ReminderOut.model_validate(row)


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
