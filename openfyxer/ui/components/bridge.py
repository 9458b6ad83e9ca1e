"""The hidden element through which handlers ask the browser for what only the page can do
(assets/app.js acts on its attributes): set or clear the HttpOnly sign-in cookie, keep the offline
copy, open a same-origin address. No script is ever sent from the server (see api/headers.py)."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.state.session import SessionState


def bridge() -> rx.Component:
    return rx.el.div(id="of-bridge", hidden=True, custom_attrs={
        "data-handoff": SessionState.bridge_handoff, "data-go": SessionState.bridge_go,
        "data-offline-inbox": SessionState.offline_inbox, "data-offline-drafts": SessionState.offline_drafts,
    })
