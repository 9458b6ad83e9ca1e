"""The Reflex app (Reflex looks for `app` in this module) with the REST API mounted beneath it."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import reflex as rx

from openfyxer import jobs
from openfyxer.api import api_not_found_guard, create_api
from openfyxer.api.headers import SecurityHeaders
from openfyxer.api.upload_guard import UploadGuard
from openfyxer.core.config import get_settings
from openfyxer.core.logging import setup_logging
from openfyxer.services.mail import supervisor as mail_watch
from openfyxer.ui.pages.auth import login_page, register_page
from openfyxer.ui.pages.calendar import calendar_page
from openfyxer.ui.pages.dashboard import PAGES
from openfyxer.ui.pages.home import home_page
from openfyxer.ui.pages.knowledge import chat_page, document_page, knowledge_page
from openfyxer.ui.pages.mail import drafts_page, email_page, inbox_page
from openfyxer.ui.pages.meetings import meeting_page, meetings_page
from openfyxer.ui.pages.notify import awaiting_page
from openfyxer.ui.pages.settings import audit_page, settings_page
from openfyxer.ui.state.calendar import CalendarState
from openfyxer.ui.state.knowledge import ChatState, DocumentState, KnowledgeState
from openfyxer.ui.state.compose import ComposeState
from openfyxer.ui.state.home import HomeState
from openfyxer.ui.state.inbox import InboxState
from openfyxer.ui.state.minutes import MinutesState
from openfyxer.ui.state.meetings import MeetingsState
from openfyxer.ui.state.message import EmailState
from openfyxer.ui.state.notify import AwaitingState
from openfyxer.ui.state.settings import AuditState, SettingsState
from openfyxer.ui.state.session import SessionState

setup_logging(get_settings().log_level)


@contextlib.asynccontextmanager
async def in_process_scheduler():
    """Without Redis there are no separate workers: the app schedules and runs its own jobs, and
    watches the mailboxes (IMAP IDLE) so new mail is synced in seconds."""
    if get_settings().redis_url:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_scheduler, args=(stop,), name="openfyxer-scheduler", daemon=True)
    thread.start()
    watchers = mail_watch.start()  # None when OPENFYXER_IDLE is off
    try:
        yield
    finally:
        stop.set()
        if watchers is not None:
            await asyncio.to_thread(watchers.stop)  # about two seconds at most, off the event loop


_API = create_api()


def _mount_under_api(reflex_asgi):  # noqa: ANN001, ANN202
    """Our routes first, Reflex (pages, websocket) for everything else.

    Passing a function rather than the app keeps Reflex from stacking its own CORS middleware
    on the API, which has its own dashboard-only policy.
    """
    _API.mount("", api_not_found_guard(reflex_asgi))
    return _API


class OpenFyxerApp(rx.App):
    """Sends /api and /health straight to the REST API.

    Reflex's outermost router mounts everything at "" with a pattern that cannot match a path
    holding a newline, and answers those with a plain-text 404; API clients must get JSON.
    """

    def __call__(self):  # noqa: ANN204
        inner = super().__call__()

        async def asgi(scope, receive, send):  # noqa: ANN001, ANN202
            path = scope.get("path", "") if scope["type"] == "http" else ""
            if path.startswith("/api/") or path == "/health" or path.startswith("/health/"):
                await _API(scope, receive, send)
            else:
                await inner(scope, receive, send)

        return SecurityHeaders(UploadGuard(asgi))


app = OpenFyxerApp(
    api_transformer=_mount_under_api,
    stylesheets=["/app.css"],  # visible keyboard focus, the skip link, native selects
    head_components=[
        rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
        # Installable (PWA): the manifest, its icons, and a service worker that keeps the app shell.
        rx.el.link(rel="manifest", href="/manifest.webmanifest"),
        rx.el.meta(name="theme-color", content="#3e63dd"),
        rx.el.link(rel="apple-touch-icon", href="/icon-192.png"),
        # Files, not inline script, for the Content-Security-Policy (api/headers.py): the service
        # worker's registration and the bridge through which handlers reach the page.
        rx.script(src="/app.js"),
        rx.script(src="/offline.js"),  # the last inbox and drafts, readable without a connection
        rx.script(src="/push.js"),  # Settings' "Notify this device": the browser's push subscription
        rx.script(src="/meetings.js"),  # a click on a transcript line plays the recording from there
        rx.script(src="/keys.js"),  # keyboard shortcuts; their list is the frame's #shortcuts-help
    ],
)
app.register_lifespan_task(in_process_scheduler)
app.add_page(login_page, route="/login", title="Sign in · OpenFyxer", on_load=SessionState.browser_language)
app.add_page(register_page, route="/register", title="Create account · OpenFyxer", on_load=SessionState.browser_language)
# Sections with their own pages; the rest show the frame with an honest empty state until built.
OWN_PAGES = {"/": (home_page, HomeState.load), "/inbox": (inbox_page, InboxState.load),
             "/drafts": (drafts_page, ComposeState.open_from_url),
             "/settings": (settings_page, SettingsState.load), "/audit": (audit_page, AuditState.load),
             "/knowledge": (knowledge_page, KnowledgeState.load), "/chat": (chat_page, ChatState.load),
             "/calendar": (calendar_page, CalendarState.load), "/awaiting": (awaiting_page, AwaitingState.load),
             "/meetings": (meetings_page, MeetingsState.load)}
for _href, _label, _page in PAGES:
    _page, _on_load = OWN_PAGES.get(_href, (_page, SessionState.require_login))
    app.add_page(_page, route=_href, title=f"{_label} · OpenFyxer", on_load=_on_load)
app.add_page(email_page, route="/email/[id]", title="Email · OpenFyxer", on_load=EmailState.load)
app.add_page(document_page, route="/document/[id]", title="Document · OpenFyxer", on_load=DocumentState.load)
app.add_page(meeting_page, route="/meetings/[id]", title="Meeting · OpenFyxer", on_load=MinutesState.load)
