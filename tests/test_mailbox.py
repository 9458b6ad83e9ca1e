"""One contract for both mailboxes of openfyxer.integrations.mailbox: `ImapMailbox` against the real
Dovecot and SMTP relay of tests/mailservers.py, `EwsMailbox` against the local EWS server of
tests/ews_stub.py (exchangelib's real SOAP requests, answered from recorded EWS responses).

Each backend comes with a small harness that looks at its server from the outside (the recipient's
INBOX, the Sent folder, the flags of a message), so every assertion is about what the server did.
Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import dataclasses
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from openfyxer.integrations import ews, imap, smtp
from openfyxer.integrations.mailbox import EwsMailbox, ImapMailbox, Mailbox
from openfyxer.models.account import EmailAccount
from tests.conftest import apply_env
from tests.ews_stub import EwsStub


def _message(subject: str, sender: str, to: str) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = msgid = make_msgid(domain="example.test")
    msg.set_content(f"{subject}\n\nMulțumesc, ne vedem mâine.\n")
    return msg.as_bytes(), msgid


def _count(conn, folder: str, msgid: str) -> int:  # noqa: ANN001
    try:
        conn.select(folder, readonly=True)
        return len(conn.uid("SEARCH", "HEADER", "Message-ID", f'"{msgid}"')[1][0].split())
    finally:
        conn.logout()


class ImapHarness:
    """A Dovecot user who sends through the relay, and a second user who receives."""

    kind, pushes_read_state = "imap", True

    def __init__(self, dovecot, relay, make_mail_user):  # noqa: ANN001
        self.dovecot, self.relay = dovecot, relay
        self.user, self.other = make_mail_user("s"), make_mail_user("r")
        self.sender, self.recipient = self.user.address, self.other.address
        self.imap_cfg = imap.ImapConfig(host=dovecot.host, port=dovecot.imap_port, security="none",
                                        username=self.user.name, password=self.user.password, timeout=10)
        self.smtp_cfg = smtp.SmtpConfig(host=relay.host, port=relay.port, security="starttls",
                                        username=self.user.name, password=self.user.password, timeout=10,
                                        ca_file=str(dovecot.cert_path))
        self.mailbox = ImapMailbox(self.imap_cfg, self.smtp_cfg)

    def refused(self) -> list[tuple[Mailbox, type[Exception]]]:
        """A wrong password on each server the account signs in to, with the error it must raise."""
        return [(ImapMailbox(dataclasses.replace(self.imap_cfg, password="wrong"), self.smtp_cfg), imap.ImapAuthError),
                (ImapMailbox(self.imap_cfg, dataclasses.replace(self.smtp_cfg, password="wrong")), smtp.SmtpAuthError)]

    def fail_next_send(self, kind: str) -> None:
        # after_data: the relay hands the message to Dovecot, then never sends its 250.
        self.relay.fault = {"transient": "connect", "ambiguous": "after_data"}[kind]

    def delivered(self, msgid: str) -> int:
        return _count(self.other.imap(), "INBOX", msgid)

    def sent_copies(self, msgid: str) -> int:
        return _count(self.user.imap(), "Sent", msgid)

    def put_in_inbox(self, raw: bytes, msgid: str) -> tuple[str, int]:
        self.dovecot.deliver(self.user.name, raw)
        conn = self.user.imap()
        try:
            conn.select("INBOX", readonly=True)
            return "INBOX", int(conn.uid("SEARCH", "HEADER", "Message-ID", f'"{msgid}"')[1][0])
        finally:
            conn.logout()

    def seen_on_server(self, place: tuple[str, int]) -> bool:
        conn = self.user.imap()
        try:
            conn.select(place[0], readonly=True)
            return b"\\Seen" in conn.uid("FETCH", str(place[1]), "(FLAGS)")[1][0]
        finally:
            conn.logout()

    def account(self) -> EmailAccount:
        return EmailAccount(user_id=uuid.uuid4(), provider="imap", email_address=self.sender, username=self.user.name,
                            imap_host=self.imap_cfg.host, imap_port=self.imap_cfg.port, imap_security="none",
                            smtp_host=self.smtp_cfg.host, smtp_port=self.smtp_cfg.port, smtp_security="starttls",
                            imap_password=self.user.password)


class EwsHarness:
    """The stub's mailbox; what it sent, and its Inbox and Sent Items, are read from its state."""

    kind, pushes_read_state = "exchange", False

    def __init__(self, stub: EwsStub):
        self.stub = stub
        self.sender, self.recipient = stub.email, "bogdan@example.org"
        self.cfg = ews.EwsConfig(url=stub.url, username=stub.username, password=stub.password,
                                 email_address=stub.email, timeout=5)
        self.mailbox = EwsMailbox(self.cfg)

    def refused(self) -> list[tuple[Mailbox, type[Exception]]]:
        return [(EwsMailbox(dataclasses.replace(self.cfg, password="wrong")), ews.EwsAuthError)]

    def fail_next_send(self, kind: str) -> None:
        # reset: the stub takes the CreateItem (the message is sent), then resets the connection.
        self.stub.fail_next("CreateItem", {"transient": "server_busy", "ambiguous": "reset"}[kind])

    def delivered(self, msgid: str) -> int:
        return sum(s.message_id == msgid for s in self.stub.sent)

    def sent_copies(self, msgid: str) -> int:
        return sum(i.message_id == msgid for i in self.stub.folders["sentitems"].values())

    def put_in_inbox(self, raw: bytes, msgid: str) -> tuple[str, int]:
        from openfyxer.services.mail.sync_ews import item_uid

        self.item_id = self.stub.deliver(raw)
        return "inbox", item_uid(self.item_id)  # the place sync would have stored

    def seen_on_server(self, place: tuple[str, int]) -> bool:
        return self.stub.folders["inbox"][self.item_id].is_read

    def account(self) -> EmailAccount:
        return EmailAccount(user_id=uuid.uuid4(), provider="exchange", email_address=self.sender,
                            username=self.stub.username, ews_url=self.stub.url, imap_password=self.stub.password)


@pytest.fixture(params=["imap", "exchange"])
def server(request, monkeypatch):  # noqa: ANN001, ANN201
    """A harness around a fresh mailbox on the backend's real (or stub) server."""
    if request.param == "imap":
        dovecot = request.getfixturevalue("dovecot")
        apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path))  # for configs built from an account row
        yield ImapHarness(dovecot, request.getfixturevalue("relay"), request.getfixturevalue("make_mail_user"))
        return
    stub = EwsStub().start()
    yield EwsHarness(stub)
    stub.stop()
    assert not stub.errors, stub.errors[0]


def test_it_says_which_protocol_it_speaks_and_whether_read_state_reaches_the_server(server):  # noqa: ANN001
    """GIVEN a mailbox WHEN asked its kind and whether it pushes read state
    THEN "imap" pushes it, "exchange" keeps it local; neither signs in with a token here."""
    assert (server.mailbox.kind, server.mailbox.pushes_read_state) == (server.kind, server.pushes_read_state)
    assert server.mailbox.access_token is None


def test_verify_passes_with_the_right_password_and_raises_with_a_wrong_one(server):  # noqa: ANN001
    """GIVEN the right password WHEN verify runs THEN it passes;
    GIVEN a wrong password on any server the account signs in to THEN that protocol's auth error (400)."""
    server.mailbox.verify()
    for wrong, error in server.refused():
        with pytest.raises(error) as err:
            wrong.verify()
        assert err.value.status == 400 and err.value.code.endswith("_auth_failed")


def test_send_delivers_one_copy(server):  # noqa: ANN001
    """GIVEN a message WHEN the mailbox sends it THEN the server delivers it exactly once
    (IMAP: the relay hands it to the recipient's INBOX; Exchange: the stub takes one CreateItem)."""
    raw, msgid = _message("Oferta", server.sender, server.recipient)
    server.mailbox.send(raw, server.sender, [server.recipient])
    assert server.delivered(msgid) == 1


def test_a_refused_sign_in_fails_the_send_permanently(server):  # noqa: ANN001
    """GIVEN credentials the server refuses WHEN sending THEN a permanent failure and nothing delivered."""
    raw, msgid = _message("Oferta", server.sender, server.recipient)
    wrong, _ = server.refused()[-1]
    with pytest.raises((smtp.SendFailed, ews.EwsSendFailed)) as err:
        wrong.send(raw, server.sender, [server.recipient])
    assert err.value.kind == "permanent" and server.delivered(msgid) == 0


@pytest.mark.parametrize("kind, copies", [("transient", 0), ("ambiguous", 1)])
def test_a_failed_send_says_whether_it_may_have_gone_out(server, kind, copies):  # noqa: ANN001
    """GIVEN a server that fails before taking the message (transient) or loses its answer after
    taking it (ambiguous) WHEN sending THEN the failure's kind says which, matching what was delivered."""
    raw, msgid = _message("Factura", server.sender, server.recipient)
    server.fail_next_send(kind)
    with pytest.raises((smtp.SendFailed, ews.EwsSendFailed)) as err:
        server.mailbox.send(raw, server.sender, [server.recipient])
    assert err.value.kind == kind and server.delivered(msgid) == copies


def test_a_sent_message_is_found_in_sent_once_filed_and_filing_twice_keeps_one_copy(server):  # noqa: ANN001
    """GIVEN a message not yet sent WHEN it is sent and filed in Sent, then filed again
    THEN in_sent is False before and True after, and Sent holds exactly one copy
    (Exchange files it itself on send: SendAndSaveCopy)."""
    raw, msgid = _message("Întâlnire joi", server.sender, server.recipient)
    assert not server.mailbox.in_sent(msgid)
    server.mailbox.send(raw, server.sender, [server.recipient])
    server.mailbox.file_in_sent(msgid, raw)
    assert server.mailbox.in_sent(msgid)
    server.mailbox.file_in_sent(msgid, raw)
    assert server.sent_copies(msgid) == 1


def test_set_seen_changes_the_server_only_where_read_state_is_pushed(server):  # noqa: ANN001
    """GIVEN an unread message in the Inbox WHEN set_seen marks it read, then unread
    THEN IMAP stores \\Seen and clears it, counting one copy each time; Exchange changes nothing on
    the server and counts 0 (its read state stays in OpenFyxer)."""
    raw, msgid = _message("Citește-mă", "bogdan@example.org", server.sender)
    place = server.put_in_inbox(raw, msgid)
    assert not server.seen_on_server(place)
    if server.pushes_read_state:
        assert server.mailbox.set_seen([place], True) == 1 and server.seen_on_server(place)
        assert server.mailbox.set_seen([place], False) == 1 and not server.seen_on_server(place)
    else:
        before = list(server.stub.requests)
        assert server.mailbox.set_seen([place], True) == 0 and not server.seen_on_server(place)
        assert server.stub.requests == before  # not even a request went out


def test_an_account_row_becomes_the_right_mailbox(server):  # noqa: ANN001
    """GIVEN an account row not yet saved (as connecting and OAuth finish have it)
    WHEN services.mail.mailbox.mailbox_for builds its mailbox THEN it is this backend's and signs in."""
    from openfyxer.services.mail.mailbox import mailbox_for

    mailbox = mailbox_for(server.account())
    assert mailbox.kind == server.kind
    mailbox.verify()
