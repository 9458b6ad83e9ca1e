"""Reflex configuration, derived from OpenFyxer's one Settings object."""

import reflex as rx

from openfyxer.core.config import get_settings

_s = get_settings()

config = rx.Config(
    app_name="openfyxer",
    # Production serves page, websocket and API on one port.
    frontend_port=_s.port,
    backend_port=_s.port,
    backend_host=_s.host,
    cors_allowed_origins=_s.origins,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
