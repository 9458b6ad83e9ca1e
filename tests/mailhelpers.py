"""Helpers for mail tests: messages to deliver, and accounts wired to the test servers."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import UTC, datetime, timedelta


def message(*, to: str, subject: str = "Hello", body: str = "Hi there.", sender: str = "Bob <bob@example.org>",
            msgid: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
            attachment: tuple[str, bytes] | None = None, when: datetime | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(when or datetime.now(UTC) - timedelta(minutes=5))
    m["Message-ID"] = msgid or make_msgid(domain="example.org")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = " ".join(references)
    m.set_content(body)
    if attachment:
        name, data = attachment
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m.as_bytes()


def html_message(*, to: str, subject: str, body: str, html: str, sender: str = "Bob <bob@example.org>") -> bytes:
    """multipart/alternative: the text and the HTML a mail client would send."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    m["Message-ID"] = make_msgid(domain="example.org")
    m.set_content(body)
    m.add_alternative(html, subtype="html")
    return m.as_bytes()


def account_body(mail_user, dovecot, relay, **overrides) -> dict:  # noqa: ANN001
    """The POST /accounts body for a test user: plain IMAP, SMTP with STARTTLS (the relay wants TLS)."""
    body = {
        "provider": "imap", "email_address": mail_user.address, "username": mail_user.name,
        "password": mail_user.password, "imap_host": dovecot.host, "imap_port": dovecot.imap_port,
        "imap_security": "none", "smtp_host": relay.host, "smtp_port": relay.port, "smtp_security": "starttls",
    }
    body.update(overrides)
    return body


def connect_account(mail_user, dovecot, relay, **overrides) -> uuid.UUID:  # noqa: ANN001
    """Create the user and account through the services (no HTTP) and return the account id."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import AccountCreate
    from openfyxer.services import auth
    from openfyxer.services.mail import accounts

    from tests.helpers import held_jobs

    # The account's first sync is the test's to run: the job connecting declares is held back.
    with held_jobs(), session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:8]}@owner.test", password="correct horse battery")
        account = accounts.connect_account(db, user=user, data=AccountCreate(**account_body(mail_user, dovecot, relay, **overrides)))
        return account.id


def folder_contents(mail_user, folder: str) -> dict[str, set[str]]:  # noqa: ANN001
    """Subject -> flags of every message in a folder, as another client sees them."""
    conn = mail_user.imap()
    try:
        typ, count = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK" or count[0] == b"0":
            return {}
        typ, data = conn.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out = {}
        for item in data:
            if isinstance(item, tuple):
                subject = re.search(rb"Subject: (.*)", item[1]).group(1).decode().strip()
                out[subject] = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
        return out
    finally:
        conn.logout()
