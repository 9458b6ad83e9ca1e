"""Rows for assistant tests: a user, a mail account and emails written straight into the database.

Drafting reads emails from the database only, so most tests need no IMAP server. `add_email`
stores a row as given; `add_mime` builds a real RFC 822 message and runs it through the same
parser and row mapping the sync uses, so HTML, charsets and invisible characters reach the
model exactly as they would after a sync.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

import pytest
from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.document import Document
from openfyxer.models.email import Email
from openfyxer.models.user import User
from tests.conftest import apply_env
from tests.llm_servers import MODEL, ModelServer

PASSWORD = "correct horse battery staple"
# Secrets a user may keep in OpenFyxer. No prompt is ever built from them, so no draft may show them.
SECRETS = {
    "openai_api_key": "sk-proj-OPENFYXERFAKEKEY0123456789abcdef",
    "claude_api_key": "sk-ant-api03-FAKECLAUDEKEY-0123456789",
    "gemini_api_key": "AIzaSyFAKE-GEMINI-5f2c9a1e7b",
    "cohere_api_key": "co-FAKE-fakeFAKEfake0123",
}
IMAP_PASSWORD = "imap-Secret-Passw0rd-9931"
ALL_SECRETS = (*SECRETS.values(), IMAP_PASSWORD)

_clock = itertools.count()


def _when(received_at: datetime | None) -> datetime:
    # Distinct, increasing times keep thread order deterministic when a test gives none.
    return received_at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=next(_clock))


def make_user_account(session: Session, *, email: str | None = None, address: str = "ana.pop@example.com",
                      display_name: str | None = "Ana Pop", user: User | None = None,
                      secrets: bool = False, **account_fields) -> tuple[User, EmailAccount]:
    """A registered user (default settings) with one IMAP account row; no server behind it.

    `secrets=True` stores fake API keys in the user's settings and an IMAP password on the
    account (see SECRETS), so tests can check that none of them ever reaches a prompt or draft.
    """
    from openfyxer.services import auth
    from openfyxer.services import settings as settings_service

    if user is None:
        user = auth.register(session, email=email or f"{uuid.uuid4().hex[:10]}@owner.test", password=PASSWORD)
    fields = {"provider": "imap", "imap_host": "127.0.0.1", "imap_port": 1, "imap_security": "none",
              "smtp_host": "127.0.0.1", "smtp_port": 1, "smtp_security": "none", **account_fields}
    account = EmailAccount(user_id=user.id, email_address=address, display_name=display_name, username=address,
                           imap_password=IMAP_PASSWORD if secrets else None, **fields)
    session.add(account)
    if secrets:
        row = settings_service.get_or_create(session, user_id=user.id)
        for name, value in SECRETS.items():
            setattr(row, name, value)
        session.add(row)
    session.flush()
    return user, account


def user_by_email(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email.lower())).one()


def add_email(session: Session, account: EmailAccount, *, subject: str = "Hello", body: str = "Hi there.",
              sender: str = "bob@example.org", sender_name: str | None = None, to: list[str] | None = None,
              cc: list[str] | None = None, reply_to: list[str] | None = None, thread: str | None = None,
              message_id: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
              received_at: datetime | None = None, folder_role: str = "inbox", body_html: str | None = None,
              attachments: list[str] | None = None, category: str | None = "to_respond") -> Email:
    """One email row as a sync would leave it. `thread` is the thread id (the root Message-ID)."""
    message_id = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    email = Email(
        account_id=account.id, message_id=message_id, thread_id=thread or message_id, in_reply_to=in_reply_to,
        references=references or ([] if not in_reply_to else [in_reply_to]), subject=subject,
        sender=sender.lower(), sender_name=sender_name, recipients=to if to is not None else [account.email_address],
        cc=cc or [], reply_to=reply_to or [], body_text=body, body_html=body_html,
        has_attachments=bool(attachments), folder_role=folder_role, received_at=_when(received_at),
        category=category, needs_reply=category in ("to_respond", "urgent"),
    )
    session.add(email)
    session.flush()
    for name in attachments or []:
        session.add(Document(user_id=account.user_id, email_id=email.id, filename=name, file_type="application/pdf",
                             file_size=1000, sha256=uuid.uuid4().hex * 2))
    session.flush()
    return email


def mime(*, to: str, subject: str, body: str | None = None, html: str | None = None, sender: str = "bob@example.org",
         sender_name: str | None = None, reply_to: str | None = None, message_id: str | None = None,
         in_reply_to: str | None = None, references: list[str] | None = None, when: datetime | None = None,
         attachment: tuple[str, bytes] | None = None) -> bytes:
    """A real message: text, HTML or both (multipart/alternative), optionally with a file."""
    m = EmailMessage()
    m["From"] = formataddr((sender_name or "", sender))
    m["To"] = to
    if reply_to:
        m["Reply-To"] = reply_to
    m["Subject"] = subject
    m["Date"] = format_datetime(_when(when))
    m["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = " ".join(references)
    if body is not None:
        m.set_content(body, charset="utf-8")
        if html is not None:
            m.add_alternative(html, subtype="html", charset="utf-8")
    else:
        m.set_content(html or "", subtype="html", charset="utf-8")
    if attachment:
        name, data = attachment
        m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return m.as_bytes()


def add_mime(session: Session, account: EmailAccount, raw: bytes, *, folder_role: str = "inbox") -> Email:
    """Parse `raw` with the sync's parser and store it the way the sync does (attachments included)."""
    from openfyxer.models.account import MailFolder
    from openfyxer.services.mail import mailstore
    from openfyxer.services.mail.mime import parse_message

    folder = session.exec(select(MailFolder).where(MailFolder.account_id == account.id,
                                                   MailFolder.role == folder_role)).first()
    if folder is None:
        folder = MailFolder(account_id=account.id, name=folder_role.upper(), role=folder_role, uidvalidity=1)
        session.add(folder)
        session.flush()
    uid = folder.last_uid + 1
    folder.last_uid = uid
    parsed = parse_message(raw)
    _, ids = mailstore.store_chunk(session, account=account, folder=folder, uidvalidity=1,
                                   items=[mailstore.Fetched(uid=uid, flags=(), raw=raw, parsed=parsed)])
    email = session.get(Email, ids[0])
    email.category, email.needs_reply = "to_respond", True
    session.add(email)
    session.flush()
    return email


def add_corpus_email(session: Session, account: EmailAccount, item: dict) -> Email:
    """A corpus email (tests/injection_corpus.py) with its earlier thread messages, through the parser."""
    root = None
    refs: list[str] = []
    for earlier in item.get("thread", []):
        msgid = make_msgid(domain=earlier["sender"].rsplit("@", 1)[-1])
        add_mime(session, account, mime(to=account.email_address, subject=earlier["subject"], body=earlier["body"],
                                        sender=earlier["sender"], message_id=msgid, in_reply_to=refs[-1] if refs else None,
                                        references=list(refs)),
                 folder_role="sent" if earlier["sender"] == account.email_address else "inbox")
        root = root or msgid
        refs.append(msgid)
    raw = mime(to=account.email_address, subject=item["subject"], body=item.get("body"), html=item.get("html"),
               sender=item["sender"], sender_name=item.get("sender_name"), reply_to=item.get("reply_to"),
               in_reply_to=refs[-1] if refs else None, references=refs or None,
               attachment=(item["attachment"], b"%PDF-1.4 fake") if item.get("attachment") else None)
    return add_mime(session, account, raw)


def add_sent(session: Session, account: EmailAccount, bodies: list[str], *, to: str = "friend@example.net") -> list[Email]:
    """Mail the user sent (folder role `sent`): what the style profile is learned from."""
    return [add_email(session, account, subject=f"Note {i}", body=body, sender=account.email_address, to=[to],
                      folder_role="sent", category=None) for i, body in enumerate(bodies)]


class ScriptedModel(ModelServer):
    """A real OpenAI-compatible / Ollama HTTP server whose 'model' writes what the test scripts.

    `reply` is a string or a function of the messages; `requests` keeps every request, so tests
    read exactly what a model was shown. Point the app at it with OPENFYXER_LLM_BASE_URL=url/v1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reply = "Thank you, I will get back to you soon."

    def generate(self, messages: list[dict], max_tokens: int, temperature: float) -> str:
        return self.reply(messages) if callable(self.reply) else self.reply

    def prompt(self, index: int = -1) -> tuple[str, str]:
        """The (system, user) contents of one request, the last by default."""
        messages = self.requests[index]["body"]["messages"]
        return messages[0]["content"], messages[-1]["content"]


@pytest.fixture(scope="module")
def scripted_server():
    """One scripted model server per test module that imports these fixtures."""
    server = ScriptedModel()
    yield server
    server.stop()


@pytest.fixture
def scripted(scripted_server, monkeypatch):
    """The app's model is the scripted server (reply settable, prompts recorded), nothing cached."""
    apply_env(monkeypatch, llm_base_url=scripted_server.url + "/v1", llm_model=MODEL, llm_cache_ttl_seconds="0")
    scripted_server.reply = "Thank you, I will get back to you soon."
    scripted_server.requests.clear()
    yield scripted_server
