"""The dashboard frame: navigation on the side (a top bar on phones) and the page body."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.bridge import bridge
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.state.session import SessionState

NAV = (
    (N_("Home"), "/", "house"),
    (N_("Inbox"), "/inbox", "inbox"),
    (N_("Drafts"), "/drafts", "file-pen-line"),
    (N_("Awaiting reply"), "/awaiting", "hourglass"),
    (N_("Calendar"), "/calendar", "calendar"),
    (N_("Knowledge"), "/knowledge", "book-open"),
    (N_("Meetings"), "/meetings", "mic"),
    (N_("Chat"), "/chat", "message-square"),
    (N_("Settings"), "/settings", "settings"),
    (N_("Audit"), "/audit", "shield-check"),
)


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    # Reflex reports the root page's path as "/index".
    active = SessionState.router.page.path == ("/index" if href == "/" else href)
    return rx.link(
        rx.hstack(rx.icon(icon, size=18, aria_hidden="true"), rx.text(t(label)), spacing="2", align="center"),
        href=href,
        aria_current=rx.cond(active, "page", "false"),
        underline="none",
        padding="0.5em 0.75em",
        border_radius="6px",
        weight=rx.cond(active, "bold", "regular"),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        width=rx.breakpoints(initial="auto", md="100%"),
        flex_shrink="0",
        id=f"nav-{label.lower().replace(' ', '-')}",
    )


def language_switch() -> rx.Component:
    """English / Română, kept in the user's settings (the Settings page has the same choice)."""
    return rx.hstack(
        *(rx.button(name, on_click=SessionState.switch_language(code), size="1",
                    variant=rx.cond(SessionState.lang == code, "solid", "soft"),
                    aria_pressed=rx.cond(SessionState.lang == code, "true", "false"), lang=code, id=f"lang-{code}")
          for code, name in (("en", "English"), ("ro", "Română"))),
        role="group", aria_label=t("Language"), spacing="1",
    )


SHORTCUTS = (("j / k", N_("Next / previous message")), ("Enter, o", N_("Open")), ("x", N_("Select")),
             ("e", N_("Archive")), ("#", N_("Delete")), ("s", N_("Star")), ("r", N_("Reply")),
             ("f", N_("Forward")), ("c", N_("New message")),
             ("/", N_("Search")), ("g i / g d / g h", N_("Go to Inbox / Drafts / Home")),
             ("?", N_("Show or hide this list")))


def shortcuts_help() -> rx.Component:
    """The keyboard shortcuts (assets/keys.js), shown and hidden with "?"."""
    return rx.el.div(
        rx.heading(t("Keyboard shortcuts"), size="3", as_="h2"),
        rx.el.dl(*(rx.fragment(rx.el.dt(rx.el.kbd(keys)), rx.el.dd(t(label))) for keys, label in SHORTCUTS),
                 class_name="shortcuts"),
        id="shortcuts-help", hidden=True, role="region", aria_label=t("Keyboard shortcuts"),
        class_name="shortcuts-help",
    )


def frame(title: str, *body: rx.Component) -> rx.Component:
    return rx.flex(
        # The first Tab stop: straight past the navigation to the page (styled in assets/app.css).
        rx.el.a(t("Skip to content"), href="#main", class_name="skip-link"),
        bridge(),
        rx.vstack(
            rx.text("OpenFyxer", size="5", weight="bold", padding_bottom="0.5em"),  # the h1 is the page's
            rx.el.nav(
                # A scrolling row on phones, a column beside the page from tablets up.
                rx.flex(*(nav_link(*n) for n in NAV), direction=rx.breakpoints(initial="row", md="column"),
                        spacing="1", width="100%", overflow_x="auto", white_space="nowrap"),
                aria_label="Main",
                width="100%",
            ),
            rx.spacer(display=["none", "none", "block"]),
            language_switch(),
            rx.text(SessionState.user_email, size="1", color_scheme="gray", id="signed-in-as"),
            rx.button(t("Sign out"), on_click=SessionState.logout, variant="soft", id="sign-out"),
            padding="1em",
            min_width=["100%", "100%", "220px"],
            height=["auto", "auto", "100vh"],
            border_right=["none", "none", f"1px solid {rx.color('gray', 5)}"],
        ),
        rx.el.main(rx.heading(t(title), size="7", as_="h1"), shortcuts_help(), *body, padding="1.5em", flex="1",
                   min_width="0", id="main"),
        direction=rx.breakpoints(initial="column", md="row"),
        width="100%",
    )


def auth_card(title: str, *body: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(rx.text("OpenFyxer", size="6", weight="bold"), rx.heading(t(title), size="4", as_="h1"),
                      language_switch(), bridge(), *body,
                      spacing="3", width="100%"),
            width="100%",
            max_width="400px",
        ),
        min_height="100vh",
        padding="1em",
    )
