"""Meetings: upload a recording and follow its transcription; one meeting with its transcript."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.meeting import MeetingState
from openfyxer.ui.state.meetings import LANGUAGES, UPLOAD_ID, MeetingsState

# What the recordings service decodes (PyAV); the service, not this list, decides what is readable.
ACCEPT = {"audio/*": [".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".flac"],
          "video/*": [".mp4", ".mov", ".webm"]}
STATUS_COLORS = {"queued": "gray", "transcribing": "amber", "done": "green", "failed": "red"}


def _labelled(label: str, control: rx.Component, html_for: str) -> rx.Component:
    return rx.vstack(rx.el.label(t(label), html_for=html_for, font_size="0.85em"), control, spacing="1",
                     width="100%")


def _upload() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Upload a recording"), size="4", as_="h2"),
        rx.text(t("wav, mp3, m4a, ogg, webm, flac, or a video's sound track. It is transcribed on this server; "
                  "nothing leaves it."), size="2", color_scheme="gray"),
        rx.upload(
            rx.vstack(rx.icon("upload", aria_hidden="true"), rx.text(t("Drop a recording here, or choose it")),
                      align="center", spacing="1"),
            id=UPLOAD_ID, multiple=False, max_files=1, accept=ACCEPT, border=f"2px dashed {rx.color('gray', 6)}",
            padding="1em", width="100%", border_radius="8px", aria_label=t("Choose a recording to upload"),
            role="button",
        ),
        rx.hstack(rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.badge(f, variant="soft")), wrap="wrap"),
        rx.grid(
            _labelled(N_("Title (optional)"), rx.input(value=MeetingsState.title, on_change=MeetingsState.set_title,
                                                       id="meeting-title", max_length=300, width="100%"),
                      "meeting-title"),
            _labelled(N_("Language"), rx.el.select(
                rx.el.option(t("Detect it"), value="auto"),
                *(rx.el.option(name, value=code, lang=code) for code, name in LANGUAGES),
                value=MeetingsState.language, on_change=MeetingsState.set_language, id="meeting-language",
                class_name="native-select"), "meeting-language"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
        ),
        rx.button(t("Upload"), id="meeting-upload", loading=MeetingsState.busy,
                  # The file is taken with the click, so the choice clears at once, in the page (no script
                  # sent back by the handler: see api/headers.py).
                  on_click=[MeetingsState.begin_upload, MeetingsState.handle_upload(
                      rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=MeetingsState.upload_progress)),
                      rx.clear_selected_files(UPLOAD_ID)]),
        rx.cond(MeetingsState.busy, rx.vstack(
            rx.progress(value=MeetingsState.upload_percent, max=100, width="100%", aria_label=t("Upload progress")),
            rx.text(rx.cond(MeetingsState.upload_percent >= 100, t("Uploaded; checking the recording…"),
                            t("Uploading…")), size="2", role="status"),
            spacing="1", width="100%", id="upload-progress")),
        rx.cond(MeetingsState.notice != "", rx.text(MeetingsState.notice, role="status", id="meetings-notice")),
        width="100%",
    )


def _status(m: dict) -> rx.Component:
    return rx.vstack(
        rx.badge(m["status_label"], color_scheme=rx.match(m["status"], *STATUS_COLORS.items(), "gray"),
                 class_name="meeting-status", custom_attrs={"data-status": m["status"]}),
        rx.cond((m["status"] == "transcribing") | (m["status"] == "queued"),
                rx.progress(value=m["percent"].to(int), max=100, width="8em",
                            aria_label=t("Transcription progress"), class_name="meeting-progress")),
        rx.cond(m["error"] != "", rx.text(m["error"], size="1", color_scheme="red")),
        spacing="1", align="end",
    )


def _row(m: dict) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(rx.text(m["title"], weight="bold"), href="/meetings/" + m["id"].to(str), class_name="meeting-link"),
            rx.text(m["when"], " · ", m["duration"], size="1", color_scheme="gray"),
            spacing="0", flex="1", min_width="10em",
        ),
        _status(m),
        rx.button(t("Delete"), size="1", variant="soft", color_scheme="red", on_click=MeetingsState.ask_delete(m["id"]),
                  aria_label=t("Delete") + " " + m["title"].to(str), class_name="meeting-delete"),
        width="100%", align="center", wrap="wrap", padding="0.5em", class_name="meeting-row",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Delete this meeting?")),
            rx.alert_dialog.description(
                rx.text(rx.text.strong(MeetingsState.confirm_title), ": ",
                        t("the recording and its transcript are removed for good."))),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray", id="delete-cancel")),
                rx.alert_dialog.action(rx.button(t("Delete"), color_scheme="red", on_click=MeetingsState.delete,
                                                 id="delete-confirm")),
                spacing="3", justify="end", padding_top="1em"),
        ),
        open=MeetingsState.confirm_id != "", on_open_change=MeetingsState.dialog_open,
    )


def meetings_page() -> rx.Component:
    return frame(
        N_("Meetings"),
        _error(MeetingsState),
        rx.vstack(
            _upload(),
            rx.divider(),
            rx.heading(t("Recordings"), size="4", as_="h2"),
            rx.cond(MeetingsState.rows.length() > 0,
                    rx.vstack(rx.foreach(MeetingsState.rows, _row), spacing="0", width="100%", id="meeting-list"),
                    rx.text(t("No meeting recordings yet."), color_scheme="gray", id="meeting-list-empty")),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        ),
        _confirm(),
    )


def _fact(label: str, value) -> rx.Component:  # noqa: ANN001
    return rx.vstack(rx.text(t(label), size="1", color_scheme="gray"), rx.text(value, size="2"), spacing="0")


def _facts() -> rx.Component:
    m = MeetingState.meeting
    return rx.vstack(
        rx.heading(m["title"].to(str), size="5", as_="h2", id="meeting-heading"),
        rx.flex(_fact(N_("Uploaded"), m["when"]), _fact(N_("Length"), m["duration"]),
                _fact(N_("Language"), m["language"]), _fact(N_("File"), m["filename"]),
                spacing="5", wrap="wrap", id="meeting-facts"),
        rx.hstack(_status(m), align="center", id="meeting-state"),
        spacing="2", width="100%",
    )


def _speaker(label: str) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.badge(label, variant="soft"),
            rx.el.input(type="hidden", name="label", value=label),
            rx.input(name="name", placeholder=t("Who is it?"), list="meeting-people", size="1", required=True,
                     aria_label=t("Who this speaker is"), max_length=100),
            rx.button(t("Rename"), size="1", variant="soft", type="submit"),
            align="center", spacing="2", wrap="wrap"),
        on_submit=MeetingState.rename_speaker, reset_on_submit=True, class_name="speaker-rename",
    )


def _speakers() -> rx.Component:
    """Shown when a diarization plug-in labelled the lines (none runs by default: services/meetings/speakers)."""
    return rx.cond(MeetingState.speaker_list.length() > 0, rx.vstack(
        rx.heading(t("Speakers"), size="3", as_="h3"),
        rx.el.datalist(rx.foreach(MeetingState.people, lambda p: rx.el.option(value=p)), id="meeting-people"),
        rx.foreach(MeetingState.speaker_list, _speaker),
        spacing="2", width="100%", id="meeting-speakers",
    ))


def _event_link() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Calendar event"), size="3", as_="h3"),
        rx.cond(MeetingState.linked_id != "", rx.vstack(
            rx.text(MeetingState.linked["title"], weight="bold"),
            rx.text(MeetingState.linked["when"], size="2"),
            rx.cond(MeetingState.linked["attendees"] != "", rx.text(MeetingState.linked["attendees"], size="1",
                                                                    color_scheme="gray")),
            spacing="0", id="linked-event")),
        rx.cond(MeetingState.event_options.length() > 0,
                rx.el.select(
                    rx.el.option(t("Not linked to an event"), value=""),
                    rx.foreach(MeetingState.event_options, lambda o: rx.el.option(o[1], value=o[0])),
                    value=MeetingState.linked_id, on_change=MeetingState.link, id="meeting-event",
                    aria_label=t("The calendar event of this meeting"), class_name="native-select"),
                rx.text(t("No calendar events in the week before this upload."), size="2", color_scheme="gray",
                        id="meeting-no-events")),
        spacing="2", width="100%",
    )


def _line(line: dict) -> rx.Component:
    return rx.hstack(
        rx.text(line["time"], size="1", color_scheme="gray", font_family="monospace", min_width="4.5em",
                padding_top="0.2em", class_name="transcript-time"),
        rx.cond(line["speaker"] != "", rx.badge(line["speaker"], variant="soft")),
        rx.text(line["text"], size="2"),
        align="start", spacing="2", class_name="transcript-line", cursor="pointer", role="button", tab_index=0,
        custom_attrs={"data-seek": line["at"]},  # assets/meetings.js plays the recording from here
    )


def _transcript() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t("Transcript"), size="3", as_="h3"),
            rx.spacer(),
            rx.button(rx.icon("copy", size=14, aria_hidden="true"), t("Copy"), size="1", variant="soft",
                      on_click=[rx.set_clipboard(MeetingState.plain), MeetingState.copied], id="copy-transcript"),
            *(rx.button(rx.icon("download", size=14, aria_hidden="true"), label, size="1", variant="soft",
                        on_click=MeetingState.download(fmt), id=f"download-{fmt}",
                        aria_label=t("Download the transcript as") + " " + label)
              for fmt, label in (("txt", "TXT"), ("srt", "SRT"), ("vtt", "WebVTT"))),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(MeetingState.audio_url != "",
                rx.el.audio(src=MeetingState.audio_url, controls=True, preload="metadata", id="meeting-audio",
                            width="100%", aria_label=t("The recording"))),
        rx.cond(MeetingState.notice != "", rx.text(MeetingState.notice, size="2", role="status", id="meeting-notice")),
        rx.cond(MeetingState.lines.length() > 0,
                rx.vstack(rx.foreach(MeetingState.lines, _line), spacing="1", width="100%", id="transcript"),
                rx.text(t("Nothing heard yet."), size="2", color_scheme="gray", id="transcript-empty")),
        spacing="2", width="100%",
    )


def _minutes() -> rx.Component:
    """Where the summary, decisions and action items go once they are written (their own work, not this
    page's): kept apart from the transcript, and empty until then."""
    return rx.vstack(
        rx.heading(t("Minutes"), size="3", as_="h3"),
        rx.text(t("The summary, decisions and action items are not written yet."), size="2", color_scheme="gray"),
        spacing="2", width="100%", id="meeting-minutes", padding="1em", border_radius="8px",
        border=f"1px dashed {rx.color('gray', 6)}",
    )


def meeting_page() -> rx.Component:
    return frame(
        N_("Meeting"),
        _error(MeetingState),
        rx.link(t("← All meetings"), href="/meetings", size="2", id="back-to-meetings"),
        rx.cond(MeetingState.found, rx.vstack(
            _facts(), rx.divider(), _event_link(), _speakers(), rx.divider(), _minutes(), rx.divider(), _transcript(),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        )),
    )
