"""openfyxer.integrations.ews against tests/ews_stub.py: exchangelib's real SOAP requests, answered
by a local EWS server that keeps a mailbox and builds its answers on recorded EWS responses."""

from __future__ import annotations

import dataclasses
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from openfyxer.integrations import ews
from openfyxer.integrations.ews import EwsAuthError, EwsConfig, EwsConnectError, EwsError, EwsSendFailed
from tests.ews_stub import EwsStub


@pytest.fixture
def stub():
    server = EwsStub().start()
    yield server
    server.stop()
    assert not server.errors, server.errors[0]


@pytest.fixture
def tls_stub(tmp_path):
    """The stub over HTTPS with a private CA (requests-oauthlib sends Bearer tokens over https only)."""
    from tests.mailservers import make_tls_files

    files = make_tls_files(tmp_path)
    server = EwsStub().start(tls=files.server_context())
    yield server, str(files.ca_path)
    server.stop()
    assert not server.errors, server.errors[0]


def config(stub: EwsStub, **overrides) -> EwsConfig:
    cfg = EwsConfig(url=stub.url, username=stub.username, password=stub.password,
                    email_address=stub.email, timeout=5)
    return dataclasses.replace(cfg, **overrides)


def mail(subject: str, to: str = "ana@example.com", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Bogdan Popescu <bogdan@example.org>"
    if to:
        msg["To"] = to
    for name, value in headers.items():
        msg[name] = value
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(f"{subject}\n\nMulțumesc, ne vedem mâine.\n")
    return msg.as_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- verify -------------------------------------------------------------------------------------

def test_verify_accepts_the_right_password(stub):
    """GIVEN the right password WHEN verify runs THEN it passes after fetching root and the Inbox."""
    ews.verify(config(stub))
    assert stub.requests == ["GetFolder root", "GetFolder inbox"]


def test_verify_refuses_a_wrong_password(stub):
    """GIVEN a wrong password WHEN verify runs THEN the 401 becomes EwsAuthError."""
    with pytest.raises(EwsAuthError) as err:
        ews.verify(config(stub, password="wrong"))
    assert err.value.status == 400 and err.value.code == "ews_auth_failed"


def test_verify_reports_a_dead_port():
    """GIVEN nothing listening on the port WHEN verify runs THEN EwsConnectError."""
    cfg = EwsConfig(url=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx", username="ana",
                    password="x", email_address="ana@example.com", timeout=2)
    with pytest.raises(EwsConnectError):
        ews.verify(cfg)


def test_verify_trusts_the_given_ca_file(tls_stub):
    """GIVEN an HTTPS server with a private CA WHEN verify runs THEN it passes with ca_file, fails without."""
    server, ca_file = tls_stub
    ews.verify(config(server, ca_file=ca_file))
    with pytest.raises(EwsConnectError):
        ews.verify(config(server))


def test_verify_with_an_access_token(tls_stub):
    """GIVEN an OAuth access token WHEN verify runs THEN it goes as Bearer; a wrong one is refused."""
    server, ca_file = tls_stub
    ews.verify(config(server, password=None, access_token=server.token, ca_file=ca_file))
    with pytest.raises(EwsAuthError):
        ews.verify(config(server, password=None, access_token="expired-token", ca_file=ca_file))


def test_an_access_token_never_goes_over_plain_http(stub):
    """GIVEN an access token and an http:// URL WHEN verifying or sending THEN refused before any request."""
    with pytest.raises(EwsConnectError):
        ews.verify(config(stub, password=None, access_token=stub.token))
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub, password=None, access_token=stub.token), mail("Re: Oferta"))
    assert err.value.kind == "permanent" and stub.requests == []


# -- sync ---------------------------------------------------------------------------------------

def test_first_sync_returns_every_message_with_its_mime(stub):
    """GIVEN three messages in the Inbox WHEN the first sync runs THEN all come back new, MIME intact."""
    raws = [mail("Oferta"), mail("Întâlnire joi"), mail("Factura")]
    ids = [stub.deliver(raw, is_read=(n == 2)) for n, raw in enumerate(raws)]
    changes, state, more = ews.sync_folder(config(stub), "inbox", None)
    assert [(c.kind, c.item_id, c.is_read) for c in changes] == [
        ("new", ids[0], False), ("new", ids[1], False), ("new", ids[2], True)]
    assert [c.mime for c in changes] == raws
    assert message_from_bytes(changes[1].mime, policy=policy.default)["Subject"] == "Întâlnire joi"
    assert state and more is False
    assert stub.requests == ["SyncFolderItems inbox", "GetItem 3"]


def test_a_second_sync_with_the_state_returns_nothing(stub):
    """GIVEN a finished sync WHEN it runs again with its state THEN nothing is new."""
    stub.deliver(mail("Oferta"))
    _, state, _ = ews.sync_folder(config(stub), "inbox", None)
    changes, state2, more = ews.sync_folder(config(stub), "inbox", state)
    assert changes == [] and more is False and state2


def test_read_and_deleted_messages_are_reported(stub):
    """GIVEN a synced Inbox WHEN one message is read and another deleted THEN the next sync says exactly that."""
    ids = [stub.deliver(mail(f"m{n}")) for n in range(3)]
    _, state, _ = ews.sync_folder(config(stub), "inbox", None)
    stub.mark_read(ids[0])
    stub.delete(ids[2])
    changes, _, _ = ews.sync_folder(config(stub), "inbox", state)
    assert sorted((c.kind, c.item_id, c.is_read) for c in changes) == [
        ("deleted", ids[2], None), ("read", ids[0], True)]
    assert all(c.mime is None for c in changes)


def test_a_big_mailbox_comes_in_pages(stub):
    """GIVEN five messages and max_changes 2 WHEN syncing page by page THEN 2, 2, 1 with more_available."""
    ids = [stub.deliver(mail(f"m{n}")) for n in range(5)]
    seen, pages, state, more = [], [], None, True
    while more:
        changes, state, more = ews.sync_folder(config(stub), "inbox", state, max_changes=2)
        pages.append((len(changes), more))
        seen += [c.item_id for c in changes if c.kind == "new" and c.mime]
    assert pages == [(2, True), (2, True), (1, False)]
    assert seen == ids
    assert ews.sync_folder(config(stub), "inbox", state)[0] == []


def test_a_message_deleted_before_its_mime_is_fetched_is_skipped(stub):
    """GIVEN a message deleted between SyncFolderItems and GetItem WHEN syncing THEN it is left out, and
    the next sync reports its deletion."""
    ids = [stub.deliver(mail(f"m{n}")) for n in range(3)]
    stub.after["SyncFolderItems"] = lambda: stub.delete(ids[1])
    changes, state, _ = ews.sync_folder(config(stub), "inbox", None)
    assert [c.item_id for c in changes] == [ids[0], ids[2]]
    changes, _, _ = ews.sync_folder(config(stub), "inbox", state)
    assert [(c.kind, c.item_id) for c in changes] == [("deleted", ids[1])]


def test_an_unknown_sync_state_asks_for_a_full_sync(stub):
    """GIVEN a sync state Exchange does not know WHEN syncing THEN EwsSyncStateInvalid."""
    with pytest.raises(ews.EwsSyncStateInvalid):
        ews.sync_folder(config(stub), "inbox", "H4sIAAAAAAAEAO29B2AcSZY==")


def test_a_busy_server_fails_the_sync_as_an_ews_error(stub):
    """GIVEN Exchange answers 503 WHEN syncing THEN EwsError (502), not a crash."""
    stub.fail_next("SyncFolderItems", "http503")
    with pytest.raises(EwsError) as err:
        ews.sync_folder(config(stub), "inbox", None)
    assert err.value.status == 502


# -- send ---------------------------------------------------------------------------------------

def test_send_delivers_the_mime_and_saves_it_in_sent(stub):
    """GIVEN a reply WHEN sent THEN Exchange gets the exact MIME, all recipients, and Sent has its Message-ID."""
    raw = mail("Re: Oferta", to="bogdan@example.org", Cc="dana@example.org", Bcc="arhiva@example.com",
               **{"In-Reply-To": "<orig@example.org>"})
    ews.send(config(stub), raw)
    assert stub.requests == ["CreateItem SendAndSaveCopy"]
    [sent] = stub.sent
    msg_id = str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
    assert sent.mime == raw and sent.message_id == msg_id and sent.saved
    assert sent.recipients == ("bogdan@example.org", "dana@example.org", "arhiva@example.com")
    assert ews.find_message_id(config(stub), "sent", msg_id) is True
    assert ews.find_message_id(config(stub), "sent", msg_id.strip("<>")) is True
    assert ews.find_message_id(config(stub), "sent", "<other@example.org>") is False
    assert ews.find_message_id(config(stub), "inbox", msg_id) is False
    changes, _, _ = ews.sync_folder(config(stub), "sent", None)
    assert [c.mime for c in changes] == [raw]


def test_send_without_a_copy_leaves_sent_alone(stub):
    """GIVEN save_copy False WHEN sent THEN it goes out (SendOnly) and Sent stays empty."""
    raw = mail("Ping")
    ews.send(config(stub), raw, save_copy=False)
    assert stub.requests == ["CreateItem SendOnly"]
    assert stub.sent[0].mime == raw and stub.folders["sentitems"] == {}


def test_a_reset_after_the_request_is_ambiguous(stub):
    """GIVEN the connection dies after Exchange read the request WHEN sending THEN ambiguous (it did go out)."""
    stub.fail_next("CreateItem", "reset")
    raw = mail("Re: Oferta")
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub), raw)
    assert err.value.kind == "ambiguous"
    msg_id = str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
    assert ews.find_message_id(config(stub), "sent", msg_id) is True


def test_no_answer_before_the_timeout_is_ambiguous(stub):
    """GIVEN Exchange answers after the client gave up WHEN sending THEN ambiguous."""
    stub.fail_next("CreateItem", "stall")
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub, timeout=0.5), mail("Re: Oferta"))
    assert err.value.kind == "ambiguous"


@pytest.mark.parametrize("fault", ["http503", "server_busy"])
def test_a_busy_server_is_transient(stub, fault):
    """GIVEN HTTP 503 or an ErrorServerBusy fault WHEN sending THEN transient, and nothing went out."""
    stub.fail_next("CreateItem", fault)
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub), mail("Re: Oferta"))
    assert err.value.kind == "transient" and stub.sent == []


def test_a_dead_port_is_transient():
    """GIVEN nothing listening WHEN sending THEN transient: the request never left."""
    cfg = EwsConfig(url=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx", username="ana",
                    password="x", email_address="ana@example.com", timeout=2)
    with pytest.raises(EwsSendFailed) as err:
        ews.send(cfg, mail("Re: Oferta"))
    assert err.value.kind == "transient"


def test_a_wrong_password_is_permanent(stub):
    """GIVEN a wrong password WHEN sending THEN permanent."""
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub, password="wrong"), mail("Re: Oferta"))
    assert err.value.kind == "permanent" and stub.sent == []


def test_a_message_without_recipients_is_permanent(stub):
    """GIVEN MIME with no To/Cc/Bcc WHEN sending THEN Exchange's ErrorInvalidRecipients is permanent."""
    with pytest.raises(EwsSendFailed) as err:
        ews.send(config(stub), mail("Nobody", to=""))
    assert err.value.kind == "permanent" and "ErrorInvalidRecipients" in err.value.message
