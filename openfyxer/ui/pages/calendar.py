"""The Calendar page: the week in the user's zone, connected calendars, a new event, finding a time."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.calendar import CalendarState


def _field(label: str, name: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(t(label), html_for=name, font_size="0.85em"),
                     rx.input(name=name, id=name, width="100%", **props), spacing="1", width="100%")


def _event(e: dict) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(e["when"], size="1", color_scheme="gray"),
            rx.text(e["title"], size="2", weight="medium"),
            rx.cond(e["location"] != "", rx.text(e["location"], size="1", color_scheme="gray")),
            spacing="0", flex="1",
        ),
        rx.icon_button(rx.icon("pencil", size=14, aria_hidden="true"), size="1", variant="ghost", color_scheme="gray",
                       on_click=CalendarState.edit_event(e), aria_label=t("Change this event"),
                       class_name="calendar-event-edit"),
        rx.icon_button(rx.icon("trash-2", size=14, aria_hidden="true"), size="1", variant="ghost", color_scheme="gray",
                       on_click=CalendarState.delete_event(e["id"]), aria_label=t("Delete this event")),
        width="100%", align="start", class_name="calendar-event",
        opacity=rx.cond(e["tentative"].to(bool), "0.6", "1"),
    )


def _day(d: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(d["label"], size="2", as_="h3"),
            rx.cond(d["events"].to(list).length() > 0,
                    rx.vstack(rx.foreach(d["events"].to(list[dict]), _event), spacing="2", width="100%"),
                    rx.text("—", size="1", color_scheme="gray")),
            width="100%",
        ),
        width="100%", id="day-" + d["iso"].to(str),
    )


def _agenda() -> rx.Component:
    return rx.vstack(
        rx.cond(CalendarState.agenda.length() > 0,
                rx.foreach(CalendarState.agenda, lambda d: rx.box(
                    rx.heading(d["label"], size="2", as_="h3", margin_bottom="0.3em"),
                    rx.vstack(rx.foreach(d["events"].to(list[dict]), _event), spacing="2", width="100%"),
                    width="100%", class_name="agenda-day", id="agenda-" + d["iso"].to(str))),
                rx.text(t("Nothing in the next 30 days."), color_scheme="gray")),
        width="100%", spacing="3", id="agenda",
    )


def _views() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("Week"), value="week", id="view-week"),
        rx.segmented_control.item(t("Agenda"), value="agenda", id="view-agenda"),
        value=CalendarState.view, on_change=CalendarState.show, size="1",
    )


def _week() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(rx.icon("chevron-left", aria_hidden="true"), on_click=CalendarState.previous_week,
                      variant="soft", aria_label=t("Previous week")),
            rx.button(t("This week"), on_click=CalendarState.this_week, variant="soft"),
            rx.button(rx.icon("chevron-right", aria_hidden="true"), on_click=CalendarState.next_week,
                      variant="soft", aria_label=t("Next week"), id="next-week"),
            rx.heading(CalendarState.week_label, size="3", as_="h2", id="week-label"),
            rx.spacer(),
            _views(),
            align="center", wrap="wrap", width="100%",
        ),
        rx.grid(rx.foreach(CalendarState.days, _day), columns=rx.breakpoints(initial="1", sm="2", lg="7"),
                spacing="2", width="100%", id="week"),
        width="100%",
    )


def _calendar_row(c: dict) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(c["name"], weight="bold"), rx.text(c["server"], size="1", color_scheme="gray"), spacing="0"),
        rx.badge(c["state_label"], custom_attrs={"data-state": c["state"]}, id="calendar-state-" + c["id"].to(str)),
        rx.text(c["count"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.el.label(rx.checkbox(checked=c["visible"].to(bool),
                                on_change=lambda v: CalendarState.set_flag(c["id"], "visible", v)),
                    " ", t("Shown"), font_size="0.85em"),
        rx.el.label(rx.checkbox(checked=c["busy"].to(bool),
                                on_change=lambda v: CalendarState.set_flag(c["id"], "busy", v)),
                    " ", t("Counts as busy"), font_size="0.85em"),
        rx.button(t("Sync now"), on_click=CalendarState.sync_now(c["id"]), variant="soft", size="1"),
        rx.cond(c["error"] != "", rx.text(c["error"], color_scheme="red", size="1")),
        rx.cond(c["skipped"] != "", rx.text(t("Left out:"), " ", c["skipped"], color_scheme="orange", size="1")),
        width="100%", wrap="wrap", align="center",
    )


def _connect_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Connect a CalDAV calendar"), size="3", as_="h3"),
            rx.text(t("Nextcloud, Fastmail, iCloud, Radicale, Baikal: the server's address, your user name and "
                      "an app password. The sign-in is checked before anything is saved."), size="1", color_scheme="gray"),
            rx.grid(
                _field(N_("CalDAV address"), "url", placeholder="https://cloud.example.com/remote.php/dav",
                       required=True),
                _field(N_("User name"), "username", required=True),
                _field(N_("Password or app password"), "caldav_password", type="password", required=True),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            rx.button(t("Connect"), type="submit", id="caldav-connect"),
            width="100%",
        ),
        on_submit=CalendarState.connect, reset_on_submit=False, id="caldav-form",
    )


def _new_event() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(rx.cond(CalendarState.editing_id != "", t("Change event"), t("New event")), size="3", as_="h3"),
            rx.grid(
                _field(N_("Title"), "event_title", required=True),
                # an event being changed stays in its calendar
                rx.cond(CalendarState.editing_id == "", rx.vstack(
                    rx.el.label(t("Calendar"), html_for="event_calendar", font_size="0.85em"),
                    rx.el.select(rx.foreach(CalendarState.writable_calendars,
                                            lambda c: rx.el.option(c["name"], value=c["id"])),
                                 name="event_calendar", id="event_calendar"), spacing="1")),
                _field(N_("Date"), "event_date", type="date", required=True),
                rx.cond(CalendarState.editing_all_day, rx.text(t("All day"), size="2"), rx.fragment(
                    _field(N_("Starts"), "event_start", type="time", required=True),
                    _field(N_("Ends"), "event_end", type="time", required=True))),
                columns=rx.breakpoints(initial="1", sm="5"), spacing="3", width="100%",
            ),
            rx.hstack(
                rx.button(rx.cond(CalendarState.editing_id != "", t("Save changes"), t("Add to calendar")),
                          type="submit", id="event-submit"),
                rx.cond(CalendarState.editing_id != "",
                        rx.button(t("Cancel"), type="button", variant="soft", on_click=CalendarState.cancel_edit,
                                  id="event-cancel")),
            ),
            width="100%",
        ),
        on_submit=CalendarState.save_event, reset_on_submit=False, id="event-form",
    )


def _slot(s: dict, primary: bool) -> rx.Component:
    return rx.button(s["label"], on_click=CalendarState.use_slot(s), size="1",
                     variant="solid" if primary else "soft", class_name="free-slot")


def _find_time() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Find a time"), size="3", as_="h3"),
            rx.hstack(
                rx.el.label(t("Length"), html_for="duration", font_size="0.85em"),
                rx.el.select(*(rx.el.option(t(label), value=v) for v, label in
                               (("30", N_("30 minutes")), ("45", N_("45 minutes")), ("60", N_("1 hour")),
                                ("90", N_("1 hour 30 minutes")))), name="duration", id="duration"),
                rx.button(t("Find"), type="submit", id="find-time"),
                align="center",
            ),
            rx.text(t("Your working hours, buffers and daily limit are in Settings; a time you pick fills the "
                      "new-event form."), size="1", color_scheme="gray"),
            rx.cond(CalendarState.proposals.length() > 0,
                    rx.vstack(rx.text(t("Best times"), size="2", weight="bold"),
                              rx.flex(rx.foreach(CalendarState.proposals, lambda s: _slot(s, True)), wrap="wrap",
                                      spacing="2", id="proposals"),
                              rx.text(t("Also free"), size="2", weight="bold"),
                              rx.flex(rx.foreach(CalendarState.slots, lambda s: _slot(s, False)), wrap="wrap",
                                      spacing="2"), width="100%")),
            width="100%",
        ),
        on_submit=CalendarState.find_time, reset_on_submit=False,
    )


def calendar_page() -> rx.Component:
    return frame(
        N_("Calendar"),
        _error(CalendarState),
        rx.cond(CalendarState.notice != "", rx.callout(CalendarState.notice, icon="info", id="calendar-notice")),
        rx.cond(
            CalendarState.calendars.length() > 0,
            rx.vstack(
                rx.cond(CalendarState.view == "agenda",
                        rx.vstack(rx.hstack(rx.heading(t("Agenda"), size="3", as_="h2"), rx.spacer(), _views(),
                                            width="100%", align="center"), _agenda(), width="100%"),
                        _week()),
                rx.grid(rx.card(_new_event()), rx.card(_find_time()), columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3", width="100%"),
                rx.card(rx.vstack(rx.heading(t("Calendars"), size="3", as_="h3"),
                                  rx.foreach(CalendarState.calendars, _calendar_row), width="100%"), width="100%"),
                width="100%", spacing="4",
            ),
            rx.text(t("No calendar is connected yet."), color_scheme="gray", padding_y="0.5em"),
        ),
        rx.card(_connect_form(), width="100%", margin_top="1em"),
    )
