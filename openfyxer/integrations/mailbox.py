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
    # Whether set_seen / set_flag / move reach the server. Callers log instead of pretending when not.
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


    def set_flag(self, places: list[tuple[str, int]], flag: str, on: bool) -> int:
        """Set (or clear) a flag such as \\Flagged on each (folder, uid); 0 where state is kept local."""
        return 0

    def move(self, places: list[tuple[str, int]], role: str) -> int:
        """Move the message at each (folder, uid) to the account's folder for `role` (inbox, archive,
        trash, snoozed), made on the server when it has none; returns how many copies moved (0 where
        the protocol keeps it local)."""
        return 0

    def find(self, roles: tuple[str, ...], message_id: str) -> list[tuple[str, int]]:
        """Where the message with this Message-ID is in the folders for `roles` ([] if none or unknown)."""
        return []


# Where a message goes for each role when the server names no folder for it (RFC 6154 names).
MADE_FOLDERS = {"archive": "Archive", "trash": "Trash", "snoozed": "Snoozed"}


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
        return self.set_flag(places, "\\Seen", seen)

    def set_flag(self, places: list[tuple[str, int]], flag: str, on: bool) -> int:
        if not places:
            return 0
        op = "+FLAGS" if on else "-FLAGS"
        with imap.ImapSession(self.imap_cfg) as conn:
            for folder, uid in places:
                conn.select(folder, readonly=False)
                conn.store_flags(uid, op, (flag,))
        return len(places)

    def move(self, places: list[tuple[str, int]], role: str) -> int:
        with imap.ImapSession(self.imap_cfg) as conn:
            target = _role_folder(conn, role)
            moved = 0
            by_folder: dict[str, list[int]] = {}
            for folder, uid in places:
                if folder != target:
                    by_folder.setdefault(folder, []).append(uid)
            for folder, uids in by_folder.items():
                conn.select(folder, readonly=False)
                conn.move(uids, target)
                moved += len(uids)
        return moved

    def find(self, roles: tuple[str, ...], message_id: str) -> list[tuple[str, int]]:
        found = []
        with imap.ImapSession(self.imap_cfg) as conn:
            for role in roles:
                if (folder := _find_folder(conn, role)) is not None:
                    conn.select(folder)
                    found += [(folder, uid) for uid in conn.search_message_id(message_id)]
        return found


def _find_folder(conn: imap.ImapSession, role: str) -> str | None:
    folders = conn.folders()
    if role == "snoozed":
        return next((f.name for f in folders if f.name.lower() in ("snoozed", "[gmail]/snoozed")), None)
    return next((f.name for f in folders if f.role == role), None)


def _role_folder(conn: imap.ImapSession, role: str) -> str:
    """The folder the server uses for `role`; one is made for archive, trash and snoozed if it has none."""
    found = _find_folder(conn, role)
    if found:
        return found
    if role not in MADE_FOLDERS:
        raise imap.ImapError(f"the account has no {role} folder")
    conn.create(MADE_FOLDERS[role])
    return MADE_FOLDERS[role]


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
