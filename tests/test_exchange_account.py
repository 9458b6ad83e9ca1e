"""An Exchange account end to end through the API, against the local EWS server of tests/ews_stub.py
(exchangelib's real SOAP requests, answered from recorded EWS responses; no Exchange runs here)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.models.email import Email
from tests.ews_stub import EwsStub
from tests.helpers import bearer, signed_up
from tests.mailhelpers import message


@pytest.fixture
def stub():
    server = EwsStub().start()
    yield server
    server.stop()
    assert not server.errors, server.errors[0]


def _connect(client, h, stub, password=None):  # noqa: ANN001
    return client.post("/api/v1/accounts", headers=h, json={
        "provider": "exchange", "email_address": stub.email, "username": stub.username,
        "password": password or stub.password, "ews_url": stub.url})


def _emails(account_id) -> dict[str, Email]:
    with session_scope() as db:
        return {e.message_id: e for e in db.exec(select(Email).where(Email.account_id == account_id)).all()}


def test_exchange_account_syncs_changes_and_sends_once(client, stub):
    """GIVEN an Exchange mailbox WHEN it is connected THEN its inbox and sent mail sync; read and delete changes
    on the server follow on the next sync; an approved reply is sent once through EWS and found in Sent."""
    import uuid

    from openfyxer.services.mail import sync

    a = stub.deliver(message(to=stub.email, subject="Quarterly numbers", msgid="<q@example.org>"))
    b = stub.deliver(message(to=stub.email, subject="Old news", msgid="<old@example.org>"))
    stub.deliver(message(to="bob@example.org", sender=stub.email, msgid="<mine@example.com>"), folder="sentitems")
    h = bearer(signed_up(client))
    r = _connect(client, h, stub)
    assert r.status_code == 201, r.text
    account_id = uuid.UUID(r.json()["id"])
    assert jobs.local_queue().join(60)
    emails = _emails(account_id)
    assert emails["<q@example.org>"].folder_role == "inbox" and emails["<mine@example.com>"].folder_role == "sent"
    assert not emails["<q@example.org>"].is_read

    stub.mark_read(a)
    stub.delete(b)
    result = sync.sync_account(account_id=account_id)
    assert (result.new, result.flag_changes, result.removed) == (0, 1, 1)
    emails = _emails(account_id)
    assert emails["<q@example.org>"].is_read and emails["<old@example.org>"].folder_role is None

    original = emails["<q@example.org>"]
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": str(account_id), "email_id": str(original.id),
                                                         "content": "Thanks, looks good."}).json()
    assert d["subject"] == "Re: Quarterly numbers"
    for _ in range(2):
        assert client.post(f"/api/v1/drafts/{d['id']}/send", headers=h).status_code == 202
    assert jobs.local_queue().join(60)
    sent = client.get(f"/api/v1/drafts/{d['id']}", headers=h).json()
    assert sent["status"] == "sent", sent
    assert len(stub.sent) == 1 and stub.sent[0].message_id == sent["message_id"]
    assert b"In-Reply-To: <q@example.org>" in stub.sent[0].mime


def test_wrong_exchange_password_is_a_clear_4xx(client, stub):
    """GIVEN a wrong password WHEN an Exchange account is connected THEN 400 ews_auth_failed and nothing saved."""
    h = bearer(signed_up(client))
    r = _connect(client, h, stub, password="wrong")
    assert r.status_code == 400 and r.json()["code"] == "ews_auth_failed"
    assert client.get("/api/v1/accounts", headers=h).json() == []


def test_ambiguous_ews_send_is_resolved_from_sent_items(client, stub):
    """GIVEN the connection resets after Exchange took the CreateItem WHEN the outbox retries THEN it finds the
    Message-ID in Sent Items and does not send again."""
    import uuid

    from openfyxer.models.draft import Draft
    from openfyxer.services.mail import outbox

    h = bearer(signed_up(client))
    account_id = _connect(client, h, stub).json()["id"]
    assert jobs.local_queue().join(60)
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": account_id, "to": ["bob@example.org"],
                                                         "subject": "Hi", "content": "once"}).json()
    stub.fail_next("CreateItem", "reset")
    from openfyxer.models.user import User
    from tests.helpers import held_jobs

    # The test plays the outbox's worker itself: the send job the approval declares is held back.
    with held_jobs() as held, session_scope() as db:
        draft = db.get(Draft, uuid.UUID(d["id"]))
        outbox.approve(db, user=db.get(User, draft.user_id), draft_id=draft.id)
    assert [j.name for j in held] == ["send_draft"]
    assert outbox.deliver(draft_id=uuid.UUID(d["id"])) == "approved"
    with session_scope() as db:
        db.get(Draft, uuid.UUID(d["id"])).next_attempt_at = None
    assert outbox.deliver(draft_id=uuid.UUID(d["id"])) == "sent"
    assert len(stub.sent) == 1
