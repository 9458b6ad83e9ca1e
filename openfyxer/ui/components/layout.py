"""The dashboard frame: navigation on the side (a top bar on phones) and the page body."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.state.session import SessionState

NAV = (
    ("Home", "/", "house"),
    ("Inbox", "/inbox", "inbox"),
    ("Drafts", "/drafts", "file-pen-line"),
    ("Calendar", "/calendar", "calendar"),
    ("Knowledge", "/knowledge", "book-open"),
    ("Meetings", "/meetings", "mic"),
    ("Chat", "/chat", "message-square"),
    ("Settings", "/settings", "settings"),
    ("Audit", "/audit", "shield-check"),
)


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    # Reflex reports the root page's path as "/index".
    active = SessionState.router.page.path == ("/index" if href == "/" else href)
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label), spacing="2", align="center"),
        href=href,
        aria_current=rx.cond(active, "page", "false"),
        underline="none",
        padding="0.5em 0.75em",
        border_radius="6px",
        weight=rx.cond(active, "bold", "regular"),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        width=rx.breakpoints(initial="auto", md="100%"),
        flex_shrink="0",
        id=f"nav-{label.lower()}",
    )


def frame(title: str, *body: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading("OpenFyxer", size="5", padding_bottom="0.5em", as_="div"),
            rx.el.nav(
                # A scrolling row on phones, a column beside the page from tablets up.
                rx.flex(*(nav_link(*n) for n in NAV), direction=rx.breakpoints(initial="row", md="column"),
                        spacing="1", width="100%", overflow_x="auto", white_space="nowrap"),
                aria_label="Main",
                width="100%",
            ),
            rx.spacer(display=["none", "none", "block"]),
            rx.text(SessionState.user_email, size="1", color_scheme="gray", id="signed-in-as"),
            rx.button("Sign out", on_click=SessionState.logout, variant="soft", id="sign-out"),
            padding="1em",
            min_width=["100%", "100%", "220px"],
            height=["auto", "auto", "100vh"],
            border_right=["none", "none", f"1px solid {rx.color('gray', 5)}"],
        ),
        rx.box(rx.heading(title, size="7", as_="h1"), *body, padding="1.5em", flex="1"),
        direction=rx.breakpoints(initial="column", md="row"),
        width="100%",
    )


def auth_card(title: str, *body: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(rx.heading("OpenFyxer", size="6", as_="div"), rx.heading(title, size="4", as_="h1"), *body,
                      spacing="3", width="100%"),
            width="100%",
            max_width="400px",
        ),
        min_height="100vh",
        padding="1em",
    )
