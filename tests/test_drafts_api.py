"""The drafts API: the approval queue, edits, rejection, and sending that never happens twice."""

from __future__ import annotations

import pytest

from openfyxer import jobs
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.mailhelpers import account_body


@pytest.fixture
def setup(client, monkeypatch, dovecot, relay, make_mail_user, database_url):
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)
    sender, recipient = make_mail_user("s"), make_mail_user("r")
    h = bearer(signed_up(client))
    account = client.post("/api/v1/accounts", json=account_body(sender, dovecot, relay), headers=h).json()
    assert jobs.local_queue().join(60)
    return client, h, account["id"], recipient


def _inbox(user) -> int:
    conn = user.imap()
    try:
        return int(conn.select("INBOX", readonly=True)[1][0])
    finally:
        conn.logout()


def test_queue_edit_and_send_once(setup, relay):
    """GIVEN a hand-written draft WHEN it is listed, edited, then sent three times THEN it is delivered once with
    the edited text, and is frozen once approved."""
    client, h, account_id, recipient = setup
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": account_id, "to": [recipient.address],
                                                         "subject": "Plan", "content": "first"}).json()
    assert [x["id"] for x in client.get("/api/v1/drafts", headers=h).json()] == [d["id"]]
    edited = client.patch(f"/api/v1/drafts/{d['id']}", headers=h, json={"content": "second, better"}).json()
    assert edited["content"] == "second, better" and edited["status"] == "pending"
    for _ in range(3):
        r = client.post(f"/api/v1/drafts/{d['id']}/send", headers=h)
        assert r.status_code == 202 and r.json()["message_id"]
    assert jobs.local_queue().join(60)
    sent = client.get(f"/api/v1/drafts/{d['id']}", headers=h).json()
    assert sent["status"] == "sent" and sent["send_attempts"] == 1
    assert _inbox(recipient) == 1 and b"second, better" in relay.delivered[0][2]
    assert client.patch(f"/api/v1/drafts/{d['id']}", headers=h, json={"content": "x"}).status_code == 409
    assert client.delete(f"/api/v1/drafts/{d['id']}", headers=h).status_code == 409
    assert client.get("/api/v1/drafts", headers=h).json() == []
    assert [x["id"] for x in client.get("/api/v1/drafts", params={"status": "sent"}, headers=h).json()] == [d["id"]]


def test_rejected_draft_is_never_sent(setup, relay):
    """GIVEN a draft WHEN the user rejects it and then asks to send it THEN 409 and nothing leaves."""
    client, h, account_id, recipient = setup
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": account_id, "to": [recipient.address],
                                                         "content": "no"}).json()
    assert client.delete(f"/api/v1/drafts/{d['id']}", headers=h).json()["status"] == "rejected"
    assert client.post(f"/api/v1/drafts/{d['id']}/send", headers=h).status_code == 409
    assert jobs.local_queue().join(30)
    assert relay.delivered == [] and _inbox(recipient) == 0


def test_drafts_of_other_users_are_invisible(setup):
    """GIVEN Ana's draft WHEN Bob reads, edits, sends or rejects it THEN 404 each time."""
    client, h, account_id, recipient = setup
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": account_id, "to": [recipient.address],
                                                         "content": "mine"}).json()
    bob = bearer(signed_up(client, "bob@example.com"))
    assert client.get(f"/api/v1/drafts/{d['id']}", headers=bob).status_code == 404
    assert client.patch(f"/api/v1/drafts/{d['id']}", headers=bob, json={"content": "x"}).status_code == 404
    assert client.post(f"/api/v1/drafts/{d['id']}/send", headers=bob).status_code == 404
    assert client.delete(f"/api/v1/drafts/{d['id']}", headers=bob).status_code == 404
    assert client.post("/api/v1/drafts", headers=bob, json={"account_id": account_id, "to": [recipient.address],
                                                             "content": "steal"}).status_code == 404
