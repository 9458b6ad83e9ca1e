"""Changes made in OpenFyxer that the mail server must learn about (read state)."""

from __future__ import annotations

import logging
import uuid

from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.email import Email, EmailLocation
from openfyxer.services.mail.mailbox import open_mailbox

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
        mailbox = open_mailbox(s, account)
        want_read = email.is_read
    if not mailbox.pushes_read_state or not places:
        log.info("read state of %s kept locally (provider %s)", email_id, account.provider)
        return 0
    return mailbox.set_seen([(folder, uid) for folder, uid in places], want_read)
