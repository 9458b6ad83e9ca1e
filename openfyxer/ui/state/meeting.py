"""One meeting (/meetings/[id]): its facts and progress, the transcript as timed lines (live while it is
written), downloads as text, SRT and WebVTT, and its link to a calendar event."""

from __future__ import annotations

import uuid

from babel import Locale

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.core.errors import NotFound
from openfyxer.models.meeting import Meeting, progress
from openfyxer.models.meeting_minutes import MeetingDetailsUpdate
from openfyxer.services.meetings import editing, export, playback, recordings, speakers
from openfyxer.services.meetings.audio import SAMPLE_RATE
from openfyxer.ui.state.mail import MailState
from openfyxer.ui.state.meetings import duration, status_label


class MeetingState(MailState):
    meeting: dict = {}
    found: bool = False
    lines: list[dict] = []  # time, speaker, text
    plain: str = ""  # the transcript as text, for the clipboard
    event_options: list[list[str]] = []  # [event id, "title · time"] around the upload
    linked_id: str = ""
    linked: dict = {}  # title, when, attendees
    notice: str = ""
    speaker_list: list[str] = []  # labels a diarization plug-in gave, as they stand
    people: list[str] = []  # the linked event's attendees, offered as speakers' names
    audio_url: str = ""  # the player's source: the API's audio route with a playback key (no header needed)

    @rx.var
    def meeting_id(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]  # the [id] of /meetings/[id]

    def load(self):  # noqa: ANN201
        return self._load_page() or MeetingState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.meeting_id)
        except ValueError:
            raise NotFound("no such meeting") from None

    def _load(self) -> None:
        self.meeting, self.lines, self.plain, self.notice, self.found = {}, [], "", "", False
        self._read()
        self.found = True
        # Made once per visit: a new key on every live redraw would make the player load again.
        self.audio_url = (f"/api/v1/meetings/{self._id()}/audio?key={playback.key_for(self._id(), uuid.UUID(self._user_id))}"
                          if self.meeting.get("status") != "failed" else "")

    def _live(self) -> None:
        if self.found:
            self._read()

    def _read(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            m = recordings.get(db, user=user, meeting_id=self._id())
            segments = recordings.segments(db, m.id)
            near = recordings.events_near(db, user=user, meeting=m)
            linked = recordings.linked_event(db, m)
            self._show(m)
            self._show_transcript(segments, long=m.samples / SAMPLE_RATE >= 3600)
            self.event_options = [[str(e.id), f"{e.title or self._t('(no title)')} · {self._when(e.start_time)}"]
                                  for e in near]
            self.speaker_list = speakers.labels(db, m.id)
            self.people = list(linked.attendees or []) if linked else []
            self.linked_id = str(linked.id) if linked else ""
            self.linked = {"title": linked.title or self._t("(no title)"), "when": self._span(linked),
                           "attendees": ", ".join(linked.attendees or [])} if linked else {}

    def _show(self, m: Meeting) -> None:
        percent = int(100 * progress(m))
        self.meeting = {"id": str(m.id), "title": m.title or m.filename, "filename": m.filename,
                        "when": self._when(m.created_at), "duration": duration(m.samples),
                        "language": self._language(m.language), "status": m.status, "percent": percent,
                        "status_label": status_label(self, m.status, percent), "error": m.error or ""}

    def _show_transcript(self, segments: list, *, long: bool) -> None:
        self.lines = [{"time": export.clock(s.start_s, hours=long), "speaker": s.speaker or "", "text": s.text.strip(),
                       "at": f"{s.start_s:.2f}"} for s in segments if s.text.strip()]
        self.plain = export.to_text(segments)

    def _language(self, code: str | None) -> str:
        if not code:
            return self._t("not known yet")
        try:  # the language's name in the user's own language (babel's CLDR data)
            return Locale.parse(self.lang).languages.get(code, code)
        except (ValueError, TypeError):
            return code

    def _span(self, event) -> str:  # noqa: ANN001
        return f"{self._when(event.start_time)} – {self._when(event.end_time).rsplit(', ', 1)[-1]}"

    def link(self, value: str | list[str]) -> None:
        """The calendar event picked in the select ("" unlinks)."""
        self.error, self.notice = "", ""
        chosen = value if isinstance(value, str) else ""
        try:
            event_id = uuid.UUID(chosen) if chosen else None
        except ValueError:
            event_id = None
        if event_id is None:
            self._attempt(lambda db: recordings.link_event(db, user=self._user(db), meeting_id=self._id(),
                                                           event_id=None))
        else:  # the event's attendees and start come with it (the follow-up goes to them)
            self._attempt(lambda db: editing.details(db, user=self._user(db), meeting_id=self._id(),
                                                     data=MeetingDetailsUpdate(calendar_event_id=event_id),
                                                     ip=self.router.session.client_ip))
        self._read()

    def download(self, fmt: str):  # noqa: ANN201
        """The transcript as a file the browser saves; made here, so the API's bearer token is not needed."""
        self.error = ""

        def read(db):  # noqa: ANN001, ANN202
            m = recordings.get(db, user=self._user(db), meeting_id=self._id())
            return m.title, export.render(fmt, recordings.segments(db, m.id))

        got = self._attempt(read)
        if got is None:
            return None
        media, ext = export.FORMATS[fmt]
        return rx.download(data=got[1], filename=export.filename(got[0], ext), mime_type=f"{media};charset=utf-8")

    def rename_speaker(self, form: dict) -> None:
        self.error, self.notice = "", ""
        label, name = str(form.get("label") or ""), str(form.get("name") or "")
        if self._attempt(lambda db: speakers.rename(db, user=self._user(db), meeting_id=self._id(), label=label,
                                                    name=name, ip=self.router.session.client_ip)) is not None:
            self.notice = self._t("{label} is now {name}.", label=label, name=" ".join(name.split()))
        self._read()

    def copied(self) -> None:
        self.notice = self._t("The transcript is copied.")
