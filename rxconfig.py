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
    # A tab's state holds its sign-in ids, mail it shows, a TOTP secret during enrolment: never on disk
    # (Reflex's default writes .states/*.pkl). In memory for one process; in Redis, where every web
    # process of a server install sees it, when Redis is configured.
    state_manager_mode="redis" if _s.redis_url else "memory",
    redis_url=_s.redis_url or None,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
