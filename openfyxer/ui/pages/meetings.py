"""Meetings: upload a recording and follow its transcription; one meeting with its transcript."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.minutes import MinutesState
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
    m = MinutesState.meeting
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
        on_submit=MinutesState.rename_speaker, reset_on_submit=True, class_name="speaker-rename",
    )


def _speakers() -> rx.Component:
    """Shown when a diarization plug-in labelled the lines (none runs by default: services/meetings/speakers)."""
    return rx.cond(MinutesState.speaker_list.length() > 0, rx.vstack(
        rx.heading(t("Speakers"), size="3", as_="h3"),
        rx.el.datalist(rx.foreach(MinutesState.people, lambda p: rx.el.option(value=p)), id="meeting-people"),
        rx.foreach(MinutesState.speaker_list, _speaker),
        spacing="2", width="100%", id="meeting-speakers",
    ))


def _event_link() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Calendar event"), size="3", as_="h3"),
        rx.cond(MinutesState.linked_id != "", rx.vstack(
            rx.text(MinutesState.linked["title"], weight="bold"),
            rx.text(MinutesState.linked["when"], size="2"),
            rx.cond(MinutesState.linked["attendees"] != "", rx.text(MinutesState.linked["attendees"], size="1",
                                                                    color_scheme="gray")),
            spacing="0", id="linked-event")),
        rx.cond(MinutesState.event_options.length() > 0,
                rx.el.select(
                    rx.el.option(t("Not linked to an event"), value=""),
                    rx.foreach(MinutesState.event_options, lambda o: rx.el.option(o[1], value=o[0])),
                    value=MinutesState.linked_id, on_change=MinutesState.link, id="meeting-event",
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
                      on_click=[rx.set_clipboard(MinutesState.plain), MinutesState.copied], id="copy-transcript"),
            *(rx.button(rx.icon("download", size=14, aria_hidden="true"), label, size="1", variant="soft",
                        on_click=MinutesState.download(fmt), id=f"download-{fmt}",
                        aria_label=t("Download the transcript as") + " " + label)
              for fmt, label in (("txt", "TXT"), ("srt", "SRT"), ("vtt", "WebVTT"))),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(MinutesState.audio_url != "",
                rx.el.audio(src=MinutesState.audio_url, controls=True, preload="metadata", id="meeting-audio",
                            width="100%", aria_label=t("The recording"))),
        rx.cond(MinutesState.notice != "", rx.text(MinutesState.notice, size="2", role="status", id="meeting-notice")),
        rx.cond(MinutesState.lines.length() > 0,
                rx.vstack(rx.foreach(MinutesState.lines, _line), spacing="1", width="100%", id="transcript"),
                rx.text(t("Nothing heard yet."), size="2", color_scheme="gray", id="transcript-empty")),
        spacing="2", width="100%",
    )


def _cite(c: dict) -> rx.Component:
    return rx.badge(c["label"], variant="outline", size="1", cursor="pointer", role="button", tab_index=0,
                    custom_attrs={"data-seek": c["at"]}, class_name="minutes-cite")  # plays from there (meetings.js)


def _item(section: str, item: dict) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(item["text"], size="2", class_name="minutes-text"),
            rx.cond(section == "action_items", rx.text(
                rx.cond(item["owner"] != "", item["owner"], t("no owner named")), " · ",
                rx.cond(item["due"] != "", item["due"], t("no date said")), size="1", color_scheme="gray",
                class_name="minutes-owner")),
            rx.cond(item["flagged"].to(bool), rx.text(t("Check this one: it names something the meeting did not."),
                                                      size="1", color_scheme="amber")),
            rx.flex(rx.foreach(item["cites"].to(list[dict]), _cite), wrap="wrap", gap="1"),
            spacing="1", flex="1",
        ),
        rx.cond(section == "action_items",
                rx.button(t("Remind me"), size="1", variant="soft", class_name="minutes-remind",
                          on_click=MinutesState.remind(item["index"].to(int)))),
        rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="gray",
                       aria_label=t("Remove this item"), class_name="minutes-remove",
                       on_click=MinutesState.remove_item(section, item["id"].to(str))),
        width="100%", align="start", class_name=f"minutes-item minutes-{section}",
    )


def _section(section: str, title: str) -> rx.Component:
    items = MinutesState.sections[section].to(list[dict])
    add = rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="section", value=section),
            rx.input(name="text", placeholder=t("Add one"), size="1", required=True, max_length=2000,
                     aria_label=t("Add to") + " " + t(title), flex="1"),
            *([rx.input(name="owner", placeholder=t("Who"), size="1", aria_label=t("Who does it"), width="9em"),
               rx.input(name="due", type="date", size="1", aria_label=t("By when"))]
              if section == "action_items" else []),
            rx.button(t("Add"), size="1", variant="soft", type="submit"),
            width="100%", wrap="wrap", spacing="2"),
        on_submit=MinutesState.add_item, reset_on_submit=True,
    )
    return rx.vstack(
        rx.heading(t(title), size="2", as_="h4"),
        rx.cond(items.length() > 0, rx.vstack(rx.foreach(items, lambda i: _item(section, i)), spacing="2", width="100%"),
                rx.text(t("None."), size="1", color_scheme="gray")),
        add, spacing="2", width="100%", id=f"minutes-{section.replace('_', '-')}",
    )


def _attendees() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(t("Attendees (one per line: Name <address>)"), html_for="meeting-attendees", font_size="0.85em"),
            rx.text_area(name="attendees", id="meeting-attendees", default_value=MinutesState.attendees_text,
                         rows="3", width="100%", key=MinutesState.attendees_text),
            rx.button(t("Save attendees"), size="1", variant="soft", type="submit", id="attendees-save"),
            spacing="1", width="100%"),
        on_submit=MinutesState.save_attendees, reset_on_submit=False, width="100%",
    )


def _follow_up() -> rx.Component:
    """The follow-up email, read and changed here, approved by the user, then sent once by the outbox."""
    d = MinutesState.draft
    return rx.cond(d.length() > 0, rx.form(
        rx.vstack(
            rx.hstack(rx.heading(t("Follow-up email"), size="2", as_="h4"), rx.spacer(),
                      rx.badge(d["status_label"].to(str), custom_attrs={"data-status": d["status"].to(str)},
                               id="follow-up-status"), width="100%"),
            rx.text(t("To"), " ", d["to"].to(str), size="1", color_scheme="gray", id="follow-up-to"),
            rx.text(d["subject"].to(str), size="2", weight="bold"),
            rx.text_area(name="content", default_value=d["content"].to(str), rows="12", width="100%",
                         id="follow-up-text", key=d["id"].to(str) + d["status"].to(str),
                         read_only=d["status"].to(str) != "pending", aria_label=t("Follow-up email")),
            rx.cond(d["status"].to(str) == "pending",
                    rx.button(rx.icon("send", size=14), t("Approve and send"), type="submit", id="follow-up-send")),
            spacing="2", width="100%"),
        on_submit=MinutesState.approve_follow_up, reset_on_submit=False, width="100%", id="follow-up",
    ))


def _minutes() -> rx.Component:
    """Written by the model over the whole transcript, part by part; every item cites the moments it comes
    from, and the facts in the follow-up email are these items, put in by code."""
    done = MinutesState.minutes_status == "done"
    return rx.vstack(
        rx.hstack(
            rx.heading(t("Minutes"), size="3", as_="h3"), rx.spacer(),
            rx.cond(done, rx.button(rx.icon("mail", size=14), t("Write a follow-up email"), size="1",
                                    on_click=MinutesState.write_follow_up, id="follow-up-write")),
            rx.cond(MinutesState.draft_link != "", rx.link(t("Open it in Drafts"), href="/drafts", size="2",
                                                          id="follow-up-open")),
            rx.cond(MinutesState.minutes_status != "summarizing",
                    rx.button(rx.cond(MinutesState.minutes_edited, t("Write again (your edits are replaced)"),
                                      t("Write again")), size="1", variant="soft", id="minutes-again",
                              on_click=MinutesState.write_again)),
            width="100%", align="center", wrap="wrap"),
        rx.match(
            MinutesState.minutes_status,
            ("summarizing", rx.text(t("The minutes are being written over the whole meeting…"), size="2",
                                    id="minutes-writing")),
            ("failed", rx.text(t("The minutes could not be written:"), " ", MinutesState.minutes_error, size="2",
                               color_scheme="red", id="minutes-failed")),
            ("done", rx.vstack(
                _section("summary", N_("Summary")), _section("decisions", N_("Decisions")),
                _section("action_items", N_("Action items")), _section("questions", N_("Open questions")),
                rx.foreach(MinutesState.minutes_notes, lambda n: rx.text(n, size="1", color_scheme="gray")),
                spacing="4", width="100%")),
            rx.text(t("The minutes are written once the transcript is complete."), size="2", color_scheme="gray"),
        ),
        _attendees(),
        _follow_up(),
        spacing="3", width="100%", id="meeting-minutes", padding="1em", border_radius="8px",
        border=f"1px solid {rx.color('gray', 6)}",
    )


def meeting_page() -> rx.Component:
    return frame(
        N_("Meeting"),
        _error(MinutesState),
        rx.link(t("← All meetings"), href="/meetings", size="2", id="back-to-meetings"),
        rx.cond(MinutesState.found, rx.vstack(
            _facts(), rx.divider(), _event_link(), _speakers(), rx.divider(), _minutes(), rx.divider(), _transcript(),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        )),
    )
