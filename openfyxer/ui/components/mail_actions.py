"""What the inbox and one email share to act on mail: the snooze choice and the Undo bar."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.state.mail import MailState

SNOOZES = (("later", N_("Later today")), ("tomorrow", N_("Tomorrow morning")), ("weekend", N_("This weekend")),
           ("next_week", N_("Next week")))


def snooze_select(on_change, element_id: str) -> rx.Component:  # noqa: ANN001
    return rx.el.select(
        rx.el.option(t("Snooze…"), value="", disabled=True),
        *(rx.el.option(t(label), value=value) for value, label in SNOOZES),
        value="", on_change=on_change, aria_label=t("Snooze until"), id=element_id, class_name="native-select",
    )


def undo_bar(state) -> rx.Component:  # noqa: ANN001
    return rx.cond(
        MailState.undo_token != "",
        rx.callout(
            rx.hstack(
                rx.text(MailState.undo_label, id="undo-label"),
                rx.button(t("Undo"), on_click=state.undo, size="1", variant="soft", id="undo"),
                rx.icon_button(rx.icon("x", size=14), on_click=MailState.dismiss_undo, size="1", variant="ghost",
                               aria_label=t("Close")),
                align="center", spacing="3",
            ),
            icon="info", role="status", id="undo-bar", size="1",
        ),
    )
