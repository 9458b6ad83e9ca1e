"""One account's mail server, whichever protocol it speaks: one interface, two implementations.

`ImapMailbox` signs in to IMAP (reading, filing) and SMTP (sending); `EwsMailbox` does all of it
over Exchange Web Services. The outbox, read-state pushes and account checks talk to a `Mailbox`
and never ask which one they hold; tests/test_mailbox.py holds both to one contract.

Sync is not part of the interface: IMAP's UID/MODSEQ bookkeeping and EWS's SyncFolderItems
states share no shape worth abstracting, so sync picks its algorithm by `kind`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from openfyxer.integrations import ews, imap, smtp


class Mailbox(ABC):
    """The server side of one mail account: sign-in check, sending, the Sent folder, read flags."""

    kind: str  # "imap" | "exchange": sync picks its algorithm by it
    # Whether set_seen reaches the server. Callers log instead of pretending when it does not.
    pushes_read_state: bool

    @property
    @abstractmethod
    def access_token(self) -> str | None:
        """The OAuth token it signs in with (None: password). Sync speaks the protocol itself (its
        algorithm differs per protocol) through the same settings, `imap_cfg` or `ews_cfg`."""

    @abstractmethod
    def verify(self) -> None:
        """Sign in to every server the account uses, so bad settings fail before anything is saved.

        Raises the protocol's own errors (ImapAuthError, SmtpAuthError, EwsAuthError, ...): their
        status and code are what the API shows the user."""

    @abstractmethod
    def send(self, raw: bytes, sender: str, rcpts: list[str]) -> None:
        """Send the message exactly as given (headers included).

        Raises smtp.SendFailed or ews.EwsSendFailed; both carry `kind` (transient / permanent /
        ambiguous), which is all the outbox needs to decide between retrying, failing and checking
        Sent first."""

    @abstractmethod
    def in_sent(self, message_id: str) -> bool:
        """Is a message with this Message-ID in the Sent folder? After an ambiguous send this tells
        whether it went out, so it is never sent twice."""

    @abstractmethod
    def file_in_sent(self, message_id: str, raw: bytes) -> None:
        """Put a copy of a sent message in Sent when the server does not file it itself; safe to
        repeat (a retried filing must not leave two copies)."""

    @abstractmethod
    def set_seen(self, places: list[tuple[str, int]], seen: bool) -> int:
        """Set (or clear) the read state of the message at each (folder, uid); returns how many
        copies on the server were changed (0 when the protocol keeps read state local)."""


class ImapMailbox(Mailbox):
    """IMAP for the mailbox, SMTP for sending."""

    kind = "imap"
    pushes_read_state = True

    def __init__(self, imap_cfg: imap.ImapConfig, smtp_cfg: smtp.SmtpConfig):
        self.imap_cfg, self.smtp_cfg = imap_cfg, smtp_cfg

    @property
    def access_token(self) -> str | None:
        return self.imap_cfg.access_token

    def verify(self) -> None:
        imap.verify(self.imap_cfg)
        smtp.verify(self.smtp_cfg)

    def send(self, raw: bytes, sender: str, rcpts: list[str]) -> None:
        smtp.send(self.smtp_cfg, raw, sender, rcpts)

    def in_sent(self, message_id: str) -> bool:
        with imap.ImapSession(self.imap_cfg) as conn:
            folder = _sent_folder(conn)
            if folder is None:
                return False
            conn.select(folder)
            return bool(conn.search_message_id(message_id))

    def file_in_sent(self, message_id: str, raw: bytes) -> None:
        with imap.ImapSession(self.imap_cfg) as conn:
            folder = _sent_folder(conn)
            if folder is None:
                raise imap.ImapError("the account has no Sent folder")
            conn.select(folder)
            if not conn.search_message_id(message_id):  # a retried append must not file it twice
                conn.append(folder, raw)

    def set_seen(self, places: list[tuple[str, int]], seen: bool) -> int:
        if not places:
            return 0
        op = "+FLAGS" if seen else "-FLAGS"
        with imap.ImapSession(self.imap_cfg) as conn:
            for folder, uid in places:
                conn.select(folder, readonly=False)
                conn.store_flags(uid, op, ("\\Seen",))
        return len(places)


def _sent_folder(conn: imap.ImapSession) -> str | None:
    return next((f.name for f in conn.folders() if f.role == "sent"), None)


class EwsMailbox(Mailbox):
    """Exchange Web Services for everything."""

    kind = "exchange"
    # Read state is kept in OpenFyxer only: pushing it needs UpdateItem on item ids, and locations
    # hold a hash of the id, not the id itself.
    pushes_read_state = False

    def __init__(self, ews_cfg: ews.EwsConfig):
        self.ews_cfg = ews_cfg

    @property
    def access_token(self) -> str | None:
        return self.ews_cfg.access_token

    def verify(self) -> None:
        ews.verify(self.ews_cfg)

    def send(self, raw: bytes, sender: str, rcpts: list[str]) -> None:
        # Exchange reads sender and recipients from the headers; SendAndSaveCopy files it in Sent.
        ews.send(self.ews_cfg, raw, save_copy=True)

    def in_sent(self, message_id: str) -> bool:
        return ews.find_message_id(self.ews_cfg, "sent", message_id)

    def file_in_sent(self, message_id: str, raw: bytes) -> None:
        """Nothing to do: send() used SendAndSaveCopy, so Exchange filed it already."""

    def set_seen(self, places: list[tuple[str, int]], seen: bool) -> int:
        return 0
