"""Home: what needs attention today, and a chart of mail per category per day."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import LABELS, _error
from openfyxer.ui.state.home import HomeState
from openfyxer.ui.state.mail import CATEGORIES

COLORS = {"urgent": "#e5484d", "to_respond": "#3e63dd", "fyi": "#30a46c", "newsletter": "#f76b15", "spam": "#8b8d98"}


def _list(title: str, rows, empty: str, anchor: str) -> rx.Component:  # noqa: ANN001
    return rx.card(
        rx.vstack(
            rx.heading(t(title), size="3", as_="h2"),
            rx.cond(rows.length() > 0,
                    rx.vstack(rx.foreach(rows, lambda r: rx.link(
                        rx.text(rx.text.strong(r["sender"]), " · ", r["subject"], size="2", trim="both"),
                        href="/email/" + r["id"].to(str))), spacing="1", width="100%"),
                    rx.text(t(empty), size="2", color_scheme="gray")),
            width="100%",
        ),
        width="100%", id=anchor,
    )


def _meeting(m) -> rx.Component:  # noqa: ANN001
    return rx.flex(
        rx.text(m["when"], size="2", weight="medium", min_width="7.5em", white_space="nowrap"),
        rx.text(m["title"], rx.cond(m["location"] != "", rx.text.span(" · ", m["location"], color_scheme="gray")),
                size="2", overflow_wrap="anywhere"),
        spacing="2", wrap="wrap", width="100%", class_name="today-meeting",
    )


def _today() -> rx.Component:
    """Today's meetings; without a calendar, where to connect one."""
    return rx.card(
        rx.vstack(
            rx.flex(rx.heading(t("Today"), size="3", as_="h2"),
                    rx.text(HomeState.today_label, size="2", color_scheme="gray"),
                    rx.spacer(),
                    rx.link(t("Open the calendar"), href="/calendar", size="2", id="today-calendar"),
                    spacing="2", align="baseline", wrap="wrap", width="100%"),
            rx.cond(HomeState.today.length() > 0,
                    rx.vstack(rx.foreach(HomeState.today, _meeting), spacing="1", width="100%"),
                    rx.cond(HomeState.has_calendar,
                            rx.text(t("No meetings today"), size="2", color_scheme="gray"),
                            rx.text(t("No calendar is connected yet."), " ",
                                    rx.link(t("Connect a calendar"), href="/calendar", id="today-connect"),
                                    size="2", color_scheme="gray"))),
            width="100%",
        ),
        width="100%", id="home-today", margin_bottom="0.75em",
    )


def home_page() -> rx.Component:
    return frame(
        N_("Home"),
        _error(HomeState),
        rx.hstack(
            rx.link(rx.badge(HomeState.drafts_label, size="2"),
                    href="/drafts", id="drafts-waiting"),
            rx.text(HomeState.quality_label, size="2", color_scheme="gray", id="draft-quality"),
            wrap="wrap", align="center",
            padding_y="0.75em",
        ),
        _today(),
        rx.grid(
            _list(N_("Urgent"), HomeState.urgent, N_("Nothing urgent."), "home-urgent"),
            _list(N_("To respond"), HomeState.to_respond, N_("Nothing waiting for your answer."), "home-to-respond"),
            columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%",
        ),
        rx.heading(t("Mail per day, last two weeks"), size="3", as_="h2", padding_top="1em"),
        rx.box(
            rx.recharts.bar_chart(
                *(rx.recharts.bar(data_key=c, stack_id="mail", fill=COLORS[c], name=t(LABELS[c]),
                                  is_animation_active=False) for c in CATEGORIES),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.legend(),
                rx.recharts.graphing_tooltip(),
                data=HomeState.per_day, height=260, width="100%",
            ),
            width="100%", max_width="900px", id="home-chart", role="img",
            aria_label=t("Mail per category per day over the last two weeks"),
        ),
    )
