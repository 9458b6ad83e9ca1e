"""Changes made in OpenFyxer that the mail server must learn about (read state)."""

from __future__ import annotations

import logging
import uuid

from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.integrations import imap
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.email import Email, EmailLocation
from openfyxer.services import oauth
from openfyxer.services.accounts import imap_config

log = logging.getLogger(__name__)


def push_read_state(*, email_id: uuid.UUID) -> int:
    """Set or clear \\Seen on every copy of the message on the server; returns how many were changed."""
    with session_scope() as s:
        email = s.get(Email, email_id)
        if email is None:
            return 0
        account = s.get(EmailAccount, email.account_id)
        places = s.exec(select(MailFolder.name, EmailLocation.uid).join(MailFolder, MailFolder.id == EmailLocation.folder_id)
                        .where(EmailLocation.email_id == email_id)).all()
        token = oauth.access_token_for(s, account) if (account.oauth_refresh_token or account.oauth_token) else None
        want_read = email.is_read
    if account.provider == "exchange" or not places:
        log.info("read state of %s kept locally (provider %s)", email_id, account.provider)
        return 0
    op = "+FLAGS" if want_read else "-FLAGS"
    with imap.ImapSession(imap_config(account, access_token=token)) as conn:
        for folder, uid in places:
            conn.select(folder, readonly=False)
            conn._uid("STORE", str(uid), op, "(\\Seen)")  # noqa: SLF001
    return len(places)
