"""`t()`: a visible string of a component in both languages, the user's one shown.

It needs the session's language, so it lives beside the components and not in `ui.i18n`, which the
session state itself imports (catalogs, dates, numbers): that keeps the two out of a circle."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.i18n import catalog
from openfyxer.ui.state.session import SessionState


def t(msgid: str):  # noqa: ANN201
    """Both texts go into the compiled page and SessionState.lang picks one, so switching the
    language needs no rebuild and no reload."""
    ro = catalog("ro").get(msgid)
    if not ro or ro == msgid:
        return msgid
    return rx.cond(SessionState.lang == "ro", ro, msgid)
