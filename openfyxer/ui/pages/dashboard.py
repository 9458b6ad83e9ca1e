"""The signed-in frame. Each section's own page arrives with the capability that fills it."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import NAV, frame
from openfyxer.ui.components.translated import t

# What each section will hold, shown until its capability lands, so the frame says the truth.
EMPTY: dict[str, str] = {}


def section(label: str):  # noqa: ANN201
    def page() -> rx.Component:
        return frame(label, rx.text(t(EMPTY[label]), color_scheme="gray", padding_top="1em"))

    page.__name__ = f"{label.lower()}_page"
    return page


PAGES = [(href, label, section(label) if label in EMPTY else None) for label, href, _icon in NAV]
