"""/api/v1/meetings/{id}/speakers: the speakers a diarization plug-in labelled, renamed (services/meetings/speakers)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.services.meetings import recordings, speakers

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERRORS)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such meeting"}}


class SpeakerRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=100, description="the label as it is now, e.g. 'Speaker 1'")
    name: str = Field(min_length=1, max_length=100, description="who it is, e.g. an attendee's name")


class Speakers(BaseModel):
    speakers: list[str]  # in the order they first speak
    renamed: int = 0


@router.get("/{meeting_id}/speakers", response_model=Speakers, responses=_NOT_FOUND)
def list_speakers(meeting_id: uuid.UUID, caller: CurrentCaller, db: DB) -> Speakers:
    meeting = recordings.get(db, user=caller.user, meeting_id=meeting_id)
    return Speakers(speakers=speakers.labels(db, meeting.id))


@router.patch("/{meeting_id}/speakers", response_model=Speakers, responses=_NOT_FOUND)
def rename_speaker(meeting_id: uuid.UUID, body: SpeakerRename, caller: CurrentCaller, db: DB) -> Speakers:
    """Every line with `label` says `name` from now on."""
    count = speakers.rename(db, user=caller.user, meeting_id=meeting_id, label=body.label, name=body.name, ip=caller.ip)
    db.commit()
    return Speakers(speakers=speakers.labels(db, meeting_id), renamed=count)
