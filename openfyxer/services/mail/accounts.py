"""Mail accounts: presets, connecting (credentials proven before anything is saved), listing,
removing, and the connection settings sync and send use. Connecting (or asking) starts a sync;
removing takes the account's mail out of the knowledge store too."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import ews, imap, smtp
from openfyxer.integrations.mailbox import EwsMailbox, ImapMailbox, Mailbox
from openfyxer.models.account import AccountCreate, EmailAccount, MailFolder
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit

# host, port, security for IMAP then SMTP; saves_sent: the provider files sent mail itself.
PRESETS: dict[str, dict] = {
    "gmail": {"imap": ("imap.gmail.com", 993, "ssl"), "smtp": ("smtp.gmail.com", 465, "ssl"), "saves_sent": True},
    "outlook": {"imap": ("outlook.office365.com", 993, "ssl"), "smtp": ("smtp.office365.com", 587, "starttls"),
                "saves_sent": True},
    "yahoo": {"imap": ("imap.mail.yahoo.com", 993, "ssl"), "smtp": ("smtp.mail.yahoo.com", 465, "ssl"), "saves_sent": True},
    "icloud": {"imap": ("imap.mail.me.com", 993, "ssl"), "smtp": ("smtp.mail.me.com", 587, "starttls"), "saves_sent": False},
    "fastmail": {"imap": ("imap.fastmail.com", 993, "ssl"), "smtp": ("smtp.fastmail.com", 465, "ssl"), "saves_sent": False},
    "gmx": {"imap": ("imap.gmx.com", 993, "ssl"), "smtp": ("mail.gmx.com", 587, "starttls"), "saves_sent": False},
    "zoho": {"imap": ("imap.zoho.com", 993, "ssl"), "smtp": ("smtp.zoho.com", 465, "ssl"), "saves_sent": False},
}


def _ca() -> str | None:
    return get_settings().tls_ca_file or None


def imap_config(account: EmailAccount, access_token: str | None = None) -> imap.ImapConfig:
    return imap.ImapConfig(
        host=account.imap_host or "", port=account.imap_port or 993, security=account.imap_security or "ssl",
        username=account.username or account.email_address, password=account.imap_password,
        access_token=access_token, ca_file=_ca(), timeout=get_settings().mail_timeout_seconds,
    )


def smtp_config(account: EmailAccount, access_token: str | None = None) -> smtp.SmtpConfig:
    return smtp.SmtpConfig(
        host=account.smtp_host or "", port=account.smtp_port or 465, security=account.smtp_security or "ssl",
        username=account.username or account.email_address, password=account.imap_password,
        access_token=access_token, ca_file=_ca(), timeout=get_settings().smtp_timeout_seconds,
    )


def ews_config(account: EmailAccount, access_token: str | None = None) -> ews.EwsConfig:
    return ews.EwsConfig(url=account.ews_url or "", username=account.username or account.email_address,
                         password=account.imap_password, access_token=access_token,
                         email_address=account.email_address, ca_file=_ca(),
                         timeout=get_settings().mail_timeout_seconds)


def mailbox_for(account: EmailAccount, access_token: str | None = None) -> Mailbox:
    """The account's server side with a token already in hand (None: password sign-in): the one
    switch on provider. It sits here, beside the settings it is built from, so that connecting and
    OAuth's finish can check an account not saved yet; a saved account's mailbox comes from
    services.mail.mailbox.open_mailbox, which adds the OAuth token."""
    if account.provider == "exchange":
        return EwsMailbox(ews_config(account, access_token=access_token))
    return ImapMailbox(imap_config(account, access_token=access_token), smtp_config(account, access_token=access_token))


def _resolve_exchange(data: AccountCreate) -> EmailAccount:
    if not data.ews_url:
        raise ValidationError("an Exchange account needs ews_url (https://host/EWS/Exchange.asmx)")
    return EmailAccount(
        user_id=uuid.uuid4(), provider="exchange", email_address=str(data.email_address).lower(),
        display_name=data.display_name, username=data.username or str(data.email_address),
        ews_url=str(data.ews_url), smtp_saves_sent=True, imap_password=data.password,
    )


def _resolve(data: AccountCreate) -> EmailAccount:
    if data.provider == "exchange":
        return _resolve_exchange(data)
    preset = PRESETS.get(data.provider, {})
    ih, ip, isec = preset.get("imap", (None, None, None))
    sh, sp, ssec = preset.get("smtp", (None, None, None))
    account = EmailAccount(
        user_id=uuid.uuid4(),  # replaced by the caller
        provider=data.provider if data.provider in ("imap", "yahoo") else "imap",
        email_address=str(data.email_address).lower(),
        display_name=data.display_name,
        username=data.username or str(data.email_address),
        imap_host=data.imap_host or ih, imap_port=data.imap_port or ip, imap_security=data.imap_security or isec,
        smtp_host=data.smtp_host or sh, smtp_port=data.smtp_port or sp, smtp_security=data.smtp_security or ssec,
        smtp_saves_sent=data.smtp_saves_sent if data.smtp_saves_sent is not None else preset.get("saves_sent", False),
        imap_password=data.password,
    )
    missing = [n for n in ("imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port", "smtp_security")
               if getattr(account, n) in (None, "")]
    if missing:
        raise ValidationError(f"missing {', '.join(missing)} (no preset for provider {data.provider!r})")
    return account


def connect_account(session: Session, *, user: User, data: AccountCreate, ip: str | None = None) -> EmailAccount:
    """Check the IMAP and SMTP (or Exchange) sign-in, then save the account with its password encrypted.

    A wrong password or an unreachable host raises before anything is written.
    """
    account = _resolve(data)
    account.user_id = user.id
    if session.exec(select(EmailAccount.id).where(EmailAccount.user_id == user.id,
                                                  EmailAccount.email_address == account.email_address)).first():
        raise Conflict(f"{account.email_address} is already connected", code="account_exists")
    mailbox_for(account).verify()
    session.add(account)
    session.flush()
    audit.record(session, action="account.connect", user_id=user.id, entity_type="email_account", entity_id=account.id,
                 details={"provider": account.provider, "email_address": account.email_address,
                          "imap_host": account.imap_host}, ip=ip)
    later(session, "sync_account", account.id, owner=user.id)
    return account


def owned_ids(user_id: uuid.UUID):  # noqa: ANN201
    """The ids of the user's accounts, as a subquery: every read of "this user's mail" goes through it."""
    return select(EmailAccount.id).where(EmailAccount.user_id == user_id)


def list_accounts(session: Session, *, user: User) -> list[EmailAccount]:
    return list(session.exec(select(EmailAccount).where(EmailAccount.user_id == user.id)
                             .order_by(EmailAccount.created_at)).all())


def get_account(session: Session, *, user: User, account_id: uuid.UUID) -> EmailAccount:
    account = session.get(EmailAccount, account_id)
    if account is None or account.user_id != user.id:
        raise NotFound("no such account")
    return account


def request_sync(session: Session, *, user: User, account_id: uuid.UUID) -> tuple[EmailAccount, str]:
    """"Sync now": the account and the id of its sync job (one per account, so asking twice adds nothing)."""
    account = get_account(session, user=user, account_id=account_id)
    return account, later(session, "sync_account", account.id, owner=user.id)


def sync_all(session: Session) -> int:
    """The periodic sync: one job per active account, each its owner's, so a slow server holds its own."""
    rows = session.exec(select(EmailAccount.id, EmailAccount.user_id).where(EmailAccount.is_active)).all()
    for account_id, user_id in rows:
        later(session, "sync_account", account_id, owner=user_id)
    return len(rows)


def _count(session: Session, model, *where) -> int:  # noqa: ANN001
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def remove_account(session: Session, *, user: User, account_id: uuid.UUID, ip: str | None = None) -> dict[str, int]:
    """Delete the account with its mail, drafts, saved attachments and credentials; says how many."""
    account = get_account(session, user=user, account_id=account_id)
    email_ids = select(Email.id).where(Email.account_id == account.id)
    docs = session.exec(select(Document).where(Document.email_id.in_(email_ids))).all()
    counts = {
        "emails": _count(session, Email, Email.account_id == account.id),
        "drafts": _count(session, Draft, (Draft.account_id == account.id) | Draft.email_id.in_(email_ids)),
        "attachments": len(docs),
        "folders": _count(session, MailFolder, MailFolder.account_id == account.id),
    }
    paths = {d.storage_path for d in docs if d.storage_path}
    session.execute(delete(Draft).where((Draft.account_id == account.id) | Draft.email_id.in_(email_ids)))
    session.execute(delete(Document).where(Document.email_id.in_(email_ids)))
    session.delete(account)  # cascades to emails, locations and folders in the database
    session.flush()
    _remove_unreferenced_files(session, paths)
    audit.record(session, action="account.remove", user_id=user.id, entity_type="email_account", entity_id=account_id,
                 details={"email_address": account.email_address, **counts}, ip=ip)
    later(session, "forget_account", user.id, account_id, owner=user.id)  # its mail leaves the knowledge store
    return counts


def _remove_unreferenced_files(session: Session, paths: set[str]) -> None:
    """Attachment files are shared by content hash: delete only those nothing else points at."""
    if not paths:
        return
    still = set(session.exec(select(Document.storage_path).where(Document.storage_path.in_(paths))).all())
    root = get_settings().data_dir
    for rel in paths - still:
        (root / Path(rel)).unlink(missing_ok=True)
