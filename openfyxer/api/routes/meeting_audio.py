"""/api/v1/meetings/{id}/audio: the recording, played back by byte ranges (services/meetings/playback)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from openfyxer.api.deps import DB, current_caller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.services.meetings import playback, recordings

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERRORS)
_ERRORS = {404: {"model": ErrorOut, "description": "No such meeting, or its sound is gone"},
           416: {"model": ErrorOut, "description": "The range is outside the recording"}}


@router.get("/{meeting_id}/audio", responses={**_ERRORS, 200: {"content": {"audio/wav": {}}},
                                              206: {"content": {"audio/wav": {}}, "description": "A byte range"}},
            response_class=Response)
def audio(meeting_id: uuid.UUID, request: Request, db: DB,
          key: Annotated[str | None, Query(max_length=200, description="A playback key, instead of a token")] = None,
          ) -> Response:
    """The meeting's sound as 16 kHz mono WAV, with `Range` support so a player can seek. Signed in with a
    bearer token, or with the `key` the dashboard's player is given (it cannot send a header)."""
    user = playback.listener(db, meeting_id, key) if key else current_caller(request, db).user
    meeting = recordings.get(db, user=user, meeting_id=meeting_id)
    pcm = recordings.pcm_path(meeting)
    if not pcm.exists():
        raise NotFound("the recording's sound is no longer kept")
    total = playback.size(meeting.samples)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    try:
        asked = playback.byte_range(request.headers.get("range"), total)
    except ValidationError as e:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{total}"},
                        content=e.message)
    start, end = asked or (0, total - 1)
    if asked:
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(playback.stream(pcm, meeting.samples, start, end), status_code=206 if asked else 200,
                             media_type="audio/wav", headers=headers)
