"""The signed-in frame. Each section's own page arrives with the capability that fills it."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import NAV, frame

# What each section will hold, shown until its capability lands, so the frame says the truth.
EMPTY = {
    "Home": "What needs your attention today will appear here once a mail account is connected.",
    "Inbox": "No mail accounts are connected yet.",
    "Drafts": "No drafts are waiting for approval.",
    "Calendar": "No calendar is connected yet.",
    "Knowledge": "No documents have been indexed yet.",
    "Meetings": "No meeting recordings yet.",
    "Chat": "Ask questions about your mail and documents here once they are indexed.",
    "Settings": "Account, model and notification settings are available through the API for now.",
    "Audit": "Your security events are available at /api/v1/audit.",
}


def section(label: str):  # noqa: ANN201
    def page() -> rx.Component:
        return frame(label, rx.text(EMPTY[label], color_scheme="gray", padding_top="1em"))

    page.__name__ = f"{label.lower()}_page"
    return page


PAGES = [(href, label, section(label)) for label, href, _icon in NAV]
