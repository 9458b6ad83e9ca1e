"""IMAP access: sign-in (password or XOAUTH2), folders with special-use roles, and the UID /
FLAGS / MODSEQ fetches that incremental sync is built on.

imap-tools signs in, over an imaplib client opened here to the address the outbound policy checked;
the sync path speaks raw UID FETCH through that client because it needs CONDSTORE's CHANGEDSINCE and
literal-heavy bulk fetches.

Errors say what failed in our words and never repeat what the server sent: whatever answers at an
address the user typed (a greeting, a refusal's text) must not be read back to them.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from imap_tools import BaseMailBox
from imap_tools.errors import ImapToolsError, MailboxLoginError
from imap_tools.imap_utf7 import utf7_encode

from openfyxer.core.errors import OpenFyxerError
from openfyxer.security import outbound

ROLE_FLAGS = {"\\sent": "sent", "\\archive": "archive", "\\junk": "junk", "\\trash": "trash", "\\drafts": "drafts"}
# Servers without SPECIAL-USE: the usual names, lower-cased.
ROLE_NAMES = {
    "sent": ("sent", "sent items", "sent messages", "sent mail", "[gmail]/sent mail", "inbox.sent", "trimise"),
    "archive": ("archive", "archives", "[gmail]/all mail", "inbox.archive"),
    "junk": ("junk", "spam", "junk e-mail", "[gmail]/spam", "inbox.junk"),
    "trash": ("trash", "deleted items", "deleted messages", "[gmail]/trash", "inbox.trash"),
}
SYNC_ROLES = ("inbox", "sent", "archive", "junk", "trash")

_UID = re.compile(rb"UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_MODSEQ = re.compile(rb"MODSEQ \((\d+)\)")
_MSGID = re.compile(rb"^message-id:\s*(.*?)\s*$", re.I | re.M)
_RESPONSE_CODE = re.compile(rb"^\[([A-Z][A-Z0-9-]*)")


class ImapError(OpenFyxerError):
    """The mail server answered with an error."""

    status = 502
    code = "imap_error"


class ImapAuthError(ImapError):
    """The mail server refused the credentials."""

    status = 400
    code = "imap_auth_failed"


class ImapConnectError(ImapError):
    """The mail server could not be reached."""

    status = 400
    code = "imap_unreachable"


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    password: str | None = None
    access_token: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None


@dataclass(frozen=True)
class Folder:
    name: str
    flags: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int
    exists: int
    highest_modseq: int | None


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def uid_set(uids: Iterable[int]) -> str:
    """Compress sorted UIDs into IMAP ranges: 1,2,3,7 -> '1:3,7'."""
    out, start, prev = [], None, None
    for u in sorted(uids):
        if start is None:
            start = prev = u
        elif u == prev + 1:
            prev = u
        else:
            out.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = u
    if start is not None:
        out.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(out)


def _why(e: Exception) -> str:
    """A failure in our words. OS and TLS errors are the machine's own; imaplib's errors carry the
    server's lines (its greeting among them), so they are named, not quoted."""
    if isinstance(e, OpenFyxerError):
        return e.message
    if isinstance(e, imaplib.IMAP4.abort):
        return "the server closed the connection or sent something that is not IMAP"
    if isinstance(e, (imaplib.IMAP4.error, ImapToolsError)):
        return "the server refused the command or did not answer as an IMAP server"
    return str(e) or type(e).__name__


def _answered(typ: str, data: list) -> str:
    """The status and its bracketed response code ([OVERQUOTA], [NONEXISTENT], ...): standard words,
    unlike the free text after them."""
    first = data[0] if data and isinstance(data[0], bytes) else b""
    m = _RESPONSE_CODE.match(first)
    return f"{typ} [{m.group(1).decode()}]" if m else typ


class _PinnedIMAP4(imaplib.IMAP4):
    """imaplib connecting to the address the outbound policy checked; `host` stays the name, which
    STARTTLS sends as SNI and checks the certificate against."""

    def __init__(self, target: outbound.Target, timeout: float):
        self._address = target.address  # before imaplib's __init__, which connects
        super().__init__(target.host, target.port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._address, self.port), timeout)


class _PinnedIMAP4_SSL(imaplib.IMAP4_SSL):  # noqa: N801  (imaplib's name)
    """As _PinnedIMAP4, over implicit TLS."""

    def __init__(self, target: outbound.Target, timeout: float, ssl_context: ssl.SSLContext):
        self._address = target.address
        super().__init__(target.host, target.port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> ssl.SSLSocket:
        sock = socket.create_connection((self._address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class _Box(BaseMailBox):
    """imap-tools over a client opened here: its own MailBox classes would resolve the name again."""

    def __init__(self, client: imaplib.IMAP4):
        self._client = client
        super().__init__()

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return self._client


def _client(cfg: ImapConfig, target: outbound.Target) -> imaplib.IMAP4:
    if cfg.security == "ssl":
        return _PinnedIMAP4_SSL(target, cfg.timeout, tls_context(cfg.ca_file))
    if cfg.security == "starttls" and cfg.port == 993:
        raise ValueError("port 993 expects SSL/TLS from the first byte, not STARTTLS")
    client = _PinnedIMAP4(target, cfg.timeout)
    if cfg.security == "starttls":
        try:
            client.starttls(tls_context(cfg.ca_file))
        except Exception:
            client.shutdown()
            raise
    return client


def _flags(blob: bytes) -> tuple[str, ...]:
    m = _FLAGS.search(blob)
    return tuple(sorted(m.group(1).decode("ascii", "replace").split())) if m else ()


class ImapSession:
    """One signed-in IMAP connection. Use as a context manager."""

    def __init__(self, cfg: ImapConfig):
        self.cfg = cfg
        try:
            # Raises OutboundRefused, which the user must see as it is.
            target = outbound.mail_target(cfg.host, cfg.port, cfg.security, protocol="IMAP")
            self.box = _Box(_client(cfg, target))
        except (OSError, imaplib.IMAP4.error, UnicodeError, ValueError, outbound.HostNotFound) as e:
            raise ImapConnectError(f"cannot reach IMAP server {cfg.host}:{cfg.port} ({cfg.security}): {_why(e)}") from e
        try:
            if cfg.access_token:
                self.box.xoauth2(cfg.username, cfg.access_token, initial_folder=None)
            else:
                self.box.login(cfg.username, cfg.password or "", initial_folder=None)
        except MailboxLoginError as e:
            self._close_quietly()
            raise ImapAuthError(f"the IMAP server refused the sign-in for {cfg.username}") from e
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as e:
            self._close_quietly()
            raise ImapError(f"IMAP sign-in failed: {_why(e)}") from e
        self.client: imaplib.IMAP4 = self.box.client
        caps = {c.upper() for c in self.client.capabilities}
        # imaplib keeps the pre-login capabilities; ask again, servers add more after sign-in.
        typ, data = self.client.capability()
        if typ == "OK" and data and data[0]:
            caps |= {c.upper() for c in data[0].decode().split()}
        self.capabilities = caps
        self.condstore = "CONDSTORE" in caps or "QRESYNC" in caps
        if self.condstore:
            self._cmd("ENABLE", "CONDSTORE")

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.close()

    def close(self) -> None:
        try:
            self.box.logout()
        except Exception:  # a dead connection has nothing left to close
            self._close_quietly()

    def _close_quietly(self) -> None:
        try:
            self.box.client.shutdown()
        except Exception:  # noqa: S110  (already gone)
            pass

    def _cmd(self, name: str, *args: str) -> list:
        try:
            typ, data = self.client._simple_command(name, *args)  # noqa: SLF001
            typ, data = self.client._untagged_response(typ, data, name)  # noqa: SLF001
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as e:
            raise ImapError(f"IMAP {name} failed: {_why(e)}") from e
        if typ != "OK":
            raise ImapError(f"IMAP {name} answered {_answered(typ, data)}")
        return data

    def _uid(self, command: str, *args: str) -> list:
        try:
            typ, data = self.client.uid(command, *args)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort, socket.timeout) as e:
            raise ImapError(f"IMAP UID {command} failed: {_why(e)}") from e
        if typ != "OK":
            raise ImapError(f"IMAP UID {command} answered {_answered(typ, data)}")
        return data

    def folders(self) -> list[Folder]:
        """Every folder, with its role from special-use flags, else from its usual name."""
        try:
            infos = self.box.folder.list()
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as e:
            raise ImapError(f"IMAP LIST failed: {_why(e)}") from e
        out, taken = [], set()
        for f in infos:
            flags = tuple(x.lower() for x in f.flags)
            if "\\noselect" in flags or "\\nonexistent" in flags:
                continue
            role = "inbox" if f.name.upper() == "INBOX" else next((ROLE_FLAGS[x] for x in flags if x in ROLE_FLAGS), "other")
            out.append(Folder(f.name, tuple(f.flags), role))
            taken.add(role)
        for i, f in enumerate(out):
            if f.role == "other":
                for role, names in ROLE_NAMES.items():
                    if role not in taken and f.name.lower() in names:
                        out[i] = Folder(f.name, f.flags, role)
                        taken.add(role)
        return out

    def select(self, name: str, readonly: bool = True) -> FolderState:
        enc = '"' + utf7_encode(name).decode().replace("\\", "\\\\").replace('"', '\\"') + '"'
        try:
            typ, data = self.client.select(enc, readonly=readonly)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as e:
            raise ImapError(f"cannot open folder {name!r}: {_why(e)}") from e
        if typ != "OK":
            raise ImapError(f"cannot open folder {name!r}: the server answered {_answered(typ, data)}")
        r = self.client.untagged_responses

        def num(key: str) -> int | None:
            vals = r.pop(key, None)
            return int(vals[-1].split()[0]) if vals and vals[-1] else None

        exists = int(data[0]) if data and data[0] else 0
        uidvalidity, uidnext = num("UIDVALIDITY"), num("UIDNEXT")
        modseq = num("HIGHESTMODSEQ") if self.condstore else None
        if uidvalidity is None:
            raise ImapError(f"the server gave no UIDVALIDITY for {name!r}")
        return FolderState(uidvalidity=uidvalidity, uidnext=uidnext or 0, exists=exists, highest_modseq=modseq)

    def uids(self) -> list[int]:
        data = self._uid("SEARCH", "ALL")
        return sorted(int(x) for x in (data[0] or b"").split())

    def flags(self, uids: str = "1:*", changed_since: int | None = None) -> dict[int, tuple[str, ...]]:
        """UID -> flags; with `changed_since`, only what changed after that MODSEQ."""
        args = ["(UID FLAGS)"] if changed_since is None else ["(UID FLAGS)", f"(CHANGEDSINCE {changed_since})"]
        out = {}
        for item in self._uid("FETCH", uids, *args):
            blob = item[0] if isinstance(item, tuple) else item
            if not blob:
                continue
            m = _UID.search(blob)
            if m:
                out[int(m.group(1))] = _flags(blob)
        return out

    def fetch(self, uids: list[int], batch: int = 250) -> Iterator[tuple[int, tuple[str, ...], bytes]]:
        """(uid, flags, raw message) for each UID still on the server, in batches."""
        for i in range(0, len(uids), batch):
            data = self._uid("FETCH", uid_set(uids[i : i + batch]), "(UID FLAGS BODY.PEEK[])")
            for j, item in enumerate(data):
                if not isinstance(item, tuple):
                    continue
                head, raw = item
                m = _UID.search(head)
                if not m:
                    continue
                # Some servers put FLAGS after the literal; then it is in the next element.
                tail = data[j + 1] if j + 1 < len(data) and isinstance(data[j + 1], bytes) else b""
                yield int(m.group(1)), _flags(head) or _flags(tail), raw

    def message_ids(self, uids: list[int], batch: int = 1000) -> dict[int, str]:
        """UID -> Message-ID header, for re-matching after a UIDVALIDITY change."""
        out = {}
        for i in range(0, len(uids), batch):
            data = self._uid("FETCH", uid_set(uids[i : i + batch]), "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data:
                if isinstance(item, tuple):
                    m, h = _UID.search(item[0]), _MSGID.search(item[1] or b"")
                    if m and h:
                        out[int(m.group(1))] = h.group(1).decode("ascii", "replace").strip()
        return out

    def search_message_id(self, message_id: str) -> list[int]:
        """UIDs in the selected folder carrying this Message-ID."""
        quoted = '"' + message_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
        data = self._uid("SEARCH", "HEADER", "Message-ID", quoted)
        return [int(x) for x in (data[0] or b"").split()]

    def store_flags(self, uid: int, op: str, flags: Iterable[str]) -> None:
        """UID STORE on the selected folder (open it with readonly=False): op is +FLAGS, -FLAGS or FLAGS."""
        if op not in ("+FLAGS", "-FLAGS", "FLAGS"):
            raise ValueError(f"unknown STORE operation {op!r}")
        self._uid("STORE", str(uid), op, "(" + " ".join(flags) + ")")

    def move(self, uids: Iterable[int], folder: str) -> None:
        """Move messages of the selected folder (opened readonly=False) to `folder`: UID MOVE (RFC 6851)
        where the server has it, else COPY, \\Deleted and an expunge of those UIDs alone (UIDPLUS) so
        that no other message marked deleted by another client is expunged with them."""
        uids = list(uids)
        if not uids:
            return
        dest = _quoted(folder)
        if "MOVE" in self.capabilities:
            self._uid("MOVE", uid_set(uids), dest)
            return
        self._uid("COPY", uid_set(uids), dest)
        self._uid("STORE", uid_set(uids), "+FLAGS.SILENT", "(\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._uid("EXPUNGE", uid_set(uids))
        # Without UIDPLUS the copies are marked deleted and left: a plain EXPUNGE could take others' too.

    def create(self, folder: str) -> None:
        """Create a folder; one that already exists is not an error (another client may have made it)."""
        try:
            self._cmd("CREATE", _quoted(folder))
        except ImapError as e:
            if "ALREADYEXISTS" not in str(e).upper() and "EXISTS" not in str(e).upper():
                raise

    def append(self, folder: str, raw: bytes, flags: str = "(\\Seen)") -> None:
        enc = '"' + utf7_encode(folder).decode().replace("\\", "\\\\").replace('"', '\\"') + '"'
        try:
            typ, data = self.client.append(enc, flags, None, raw)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as e:
            raise ImapError(f"IMAP APPEND to {folder!r} failed: {_why(e)}") from e
        if typ != "OK":
            raise ImapError(f"IMAP APPEND to {folder!r} answered {_answered(typ, data)}")


def _quoted(folder: str) -> str:
    return '"' + utf7_encode(folder).decode().replace("\\", "\\\\").replace('"', '\\"') + '"'


def verify(cfg: ImapConfig) -> list[Folder]:
    """Sign in and list folders: proves the credentials before an account is saved."""
    with ImapSession(cfg) as s:
        return s.folders()
