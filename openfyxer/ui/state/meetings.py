"""The Meetings page: upload a recording (streamed to the recordings service), the list with each meeting's
transcription progress, live, and delete with confirmation. Thin handlers over services.meetings.recordings,
as the REST API's routes are."""

from __future__ import annotations

import asyncio
import uuid
from typing import BinaryIO

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.meeting import Meeting, progress
from openfyxer.models.user import User
from openfyxer.services.meetings import export, recordings
from openfyxer.services.meetings.audio import SAMPLE_RATE
from openfyxer.ui.state.mail import MailState

UPLOAD_ID = "recording"
# A short list of what Whisper hears well, each in its own language; the rest by their code through the API.
LANGUAGES = (("en", "English"), ("ro", "Română"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"),
             ("it", "Italiano"), ("hu", "Magyar"), ("pl", "Polski"), ("pt", "Português"), ("nl", "Nederlands"))
CODES = {code for code, _ in LANGUAGES}


def _create(user_id: uuid.UUID, stream: BinaryIO, name: str | None, title: str, language: str | None,
            ip: str | None) -> str:
    """In a worker thread: the copy to disk and the decoding (a sandboxed process) take seconds."""
    with session_scope() as db:
        meeting = recordings.create(db, user=db.get(User, user_id), stream=stream, filename=name, title=title,
                                    language=language, ip=ip)
        return meeting.filename


def duration(samples: int) -> str:
    return export.clock(samples / SAMPLE_RATE)


class MeetingsState(MailState):
    rows: list[dict] = []
    title: str = ""
    language: str = "auto"
    upload_percent: int = 0
    busy: bool = False  # from the click until the server has read the file (or refused it)
    notice: str = ""
    confirm_id: str = ""  # the meeting whose deletion waits for a yes
    confirm_title: str = ""

    def load(self):  # noqa: ANN201
        return self._load_page() or MeetingsState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        self.confirm_id = self.confirm_title = ""
        self._read()

    def _live(self) -> None:
        self._read()

    def _read(self) -> None:
        with session_scope() as db:
            rows, _ = recordings.list_meetings(db, user=self._user(db), limit=200)
        self.rows = [self._row(m) for m in rows]

    def _row(self, m: Meeting) -> dict:
        percent = int(100 * progress(m))
        return {"id": str(m.id), "title": m.title or m.filename, "when": self._when(m.created_at),
                "duration": duration(m.samples), "status": m.status, "percent": percent,
                "status_label": status_label(self, m.status, percent), "error": m.error or ""}

    def set_title(self, value: str) -> None:
        self.title = value[:300]

    def set_language(self, value: str | list[str]) -> None:
        self.language = value if isinstance(value, str) and value in CODES else "auto"

    def begin_upload(self) -> None:
        """Before the file is sent. `busy` is set here and cleared by the upload's handler, never by a progress
        event: those wait for the state while the handler holds it, so the last one arrives after it."""
        self.error, self.notice, self.busy, self.upload_percent = "", "", True, 0

    def upload_progress(self, progress: dict) -> None:
        self.upload_percent = int(100 * float(progress.get("progress", 0)))

    async def handle_upload(self, files: list[rx.UploadFile]) -> None:
        """The file goes to the service as the open temporary file Reflex spooled it to: copied in blocks,
        never whole in memory. A refused one says why, in the page's error."""
        self.error, self.notice = "", ""
        try:
            if (user_id := self._signed_in_id()) is None:
                return
            if not files:
                self.error = self._t("Choose a recording first.")
                return
            language = None if self.language == "auto" else self.language
            name = await asyncio.to_thread(_create, user_id, files[0].file, files[0].name, self.title, language,
                                           self.router.session.client_ip)
            self.notice = self._t("{name} is uploaded: it is being transcribed, progress shows below.", name=name)
            self.title = ""
        except OpenFyxerError as e:
            self._fail(e)
        finally:
            self.busy, self.upload_percent = False, 0
        self._read()

    def ask_delete(self, meeting_id: str) -> None:
        self.confirm_id = meeting_id
        self.confirm_title = next((r["title"] for r in self.rows if r["id"] == meeting_id), "")

    def dialog_open(self, is_open: bool) -> None:
        if not is_open:
            self.confirm_id = self.confirm_title = ""

    def delete(self) -> None:
        meeting_id, self.confirm_id, self.confirm_title = self.confirm_id, "", ""
        self.error, self.notice = "", ""
        if meeting_id:
            self._attempt(lambda db: recordings.remove(db, user=self._user(db), meeting_id=uuid.UUID(meeting_id),
                                                       ip=self.router.session.client_ip))
        self._read()


def status_label(state: MailState, status: str, percent: int) -> str:
    """Where a meeting's transcription stands, in the user's words."""
    return {"queued": state._t("Waiting to be transcribed"),
            "transcribing": state._t("Transcribing: {percent}% done", percent=percent),
            "done": state._t("Transcribed"), "failed": state._t("Transcription failed")}.get(status, status)
