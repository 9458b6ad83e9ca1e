"""The one place a saved account becomes a connection to its mail server: OAuth token, settings, protocol.

Sending, read-state pushes and sync all start here, so a change to how tokens are refreshed or a new
provider is made once. The provider switch itself is `accounts.mailbox_for` (re-exported here): it
has to sit below oauth, whose finish checks a new account through it, while this module needs
oauth for the token.
"""

from __future__ import annotations

from sqlmodel import Session

from openfyxer.integrations.mailbox import Mailbox
from openfyxer.models.account import EmailAccount
from openfyxer.services.mail import oauth
from openfyxer.services.mail.accounts import mailbox_for

__all__ = ["mailbox_for", "open_mailbox"]


def open_mailbox(session: Session, account: EmailAccount) -> Mailbox:
    """The mailbox of a saved account, signing in with a fresh OAuth token when the account uses
    OAuth. A refreshed token is stored through `session`: call it inside the unit of work."""
    token = oauth.access_token_for(session, account) if (account.oauth_refresh_token or account.oauth_token) else None
    return mailbox_for(account, access_token=token)
