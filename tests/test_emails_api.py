"""The emails API over synced mail: the sorted inbox, filters, one message with its thread, corrections."""

from __future__ import annotations

import pytest

from openfyxer import jobs
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.mailhelpers import account_body, message


@pytest.fixture
def inbox(client, monkeypatch, dovecot, relay, mail_user, database_url):
    # Sorting is what these tests read; no reply drafts are written (the model's work, tested elsewhere).
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url, auto_draft_days="0")
    html = ('<p>Hi! <img src="https://tracker.example/p.gif"> See the <b>agenda</b>.</p>'
            '<script>alert(1)</script>')
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    raws = [
        message(to=mail_user.address, subject="Agenda for Monday", msgid="<a1@example.org>",
                body="Could you review the agenda before Monday?", when=now - timedelta(hours=2)),
        message(to=mail_user.address, subject="Re: Agenda for Monday", msgid="<a2@example.org>",
                in_reply_to="<a1@example.org>", references=["<a1@example.org>"], body="Adding one more item.",
                when=now - timedelta(hours=1)),
        message(to=mail_user.address, subject="Invoice 2027-001", msgid="<i1@example.org>",
                body="The invoice is attached for your records.", attachment=("invoice.pdf", b"%PDF-1.4 x")),
    ]
    for raw in raws:
        dovecot.deliver(mail_user.name, raw)
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = "news@news.example", mail_user.address, "News", "<n1@example.org>"
    m["List-Unsubscribe"] = "<mailto:unsub@news.example>"
    m.set_content("plain version")
    m.add_alternative(html, subtype="html")
    dovecot.deliver(mail_user.name, m.as_bytes())
    h = bearer(signed_up(client))
    account = client.post("/api/v1/accounts", json=account_body(mail_user, dovecot, relay), headers=h).json()
    assert jobs.local_queue().join(180)
    return client, h, account["id"]


def test_sorted_inbox_with_filters_search_and_paging(inbox):
    """GIVEN synced and triaged mail WHEN listed with filters THEN categories, search, threads and paging work."""
    client, h, account_id = inbox
    page = client.get("/api/v1/emails", headers=h).json()
    assert page["total"] == 4 and all(e["category"] for e in page["items"])
    by_subject = {e["subject"]: e for e in page["items"]}
    assert by_subject["News"]["category"] == "newsletter"
    assert by_subject["Agenda for Monday"]["needs_reply"] is True
    news = client.get("/api/v1/emails", params={"category": "newsletter"}, headers=h).json()
    assert [e["subject"] for e in news["items"]] == ["News"]
    found = client.get("/api/v1/emails", params={"q": "invoice"}, headers=h).json()
    assert [e["subject"] for e in found["items"]] == ["Invoice 2027-001"]
    thread = client.get("/api/v1/emails", params={"thread_id": "<a1@example.org>"}, headers=h).json()
    assert thread["total"] == 2
    two = client.get("/api/v1/emails", params={"limit": 2, "offset": 2}, headers=h).json()
    assert len(two["items"]) == 2 and two["total"] == 4
    assert client.get("/api/v1/emails", params={"account_id": account_id, "is_read": "true"}, headers=h).json()["total"] == 0


def test_one_email_is_sanitised_with_images_blocked_until_allowed(inbox):
    """GIVEN an HTML newsletter with a script and a tracking pixel WHEN read THEN no script, no pixel; with
    images=true the pixel comes back, never the script."""
    client, h, _ = inbox
    news = client.get("/api/v1/emails", params={"category": "newsletter"}, headers=h).json()["items"][0]
    detail = client.get(f"/api/v1/emails/{news['id']}", headers=h).json()
    assert "<script" not in detail["body_html"] and "tracker.example" not in detail["body_html"]
    assert detail["has_remote_images"] and not detail["images_allowed"]
    shown = client.get(f"/api/v1/emails/{news['id']}", params={"images": "true"}, headers=h).json()
    assert "tracker.example" in shown["body_html"] and "<script" not in shown["body_html"]


def test_thread_and_attachments_come_with_the_message(inbox):
    """GIVEN a reply in a thread and a message with a file WHEN read THEN the thread and the attachment are listed."""
    client, h, _ = inbox
    items = client.get("/api/v1/emails", headers=h).json()["items"]
    reply = next(e for e in items if e["subject"] == "Re: Agenda for Monday")
    detail = client.get(f"/api/v1/emails/{reply['id']}", headers=h).json()
    assert [t["subject"] for t in detail["thread"]] == ["Agenda for Monday", "Re: Agenda for Monday"]
    invoice = next(e for e in items if e["subject"] == "Invoice 2027-001")
    files = client.get(f"/api/v1/emails/{invoice['id']}", headers=h).json()["attachments"]
    assert [(f["filename"], f["saved"]) for f in files] == [("invoice.pdf", True)]


def test_category_correction_and_read_state_reach_the_server(inbox, mail_user):
    """GIVEN an email WHEN the user moves it to urgent and marks it read THEN the category sticks and \\Seen is set
    on the IMAP server."""
    client, h, _ = inbox
    items = client.get("/api/v1/emails", headers=h).json()["items"]
    invoice = next(e for e in items if e["subject"] == "Invoice 2027-001")
    r = client.patch(f"/api/v1/emails/{invoice['id']}", json={"category": "urgent", "is_read": True}, headers=h)
    assert r.status_code == 200 and r.json()["category"] == "urgent" and r.json()["is_read"]
    assert jobs.local_queue().join(60)
    conn = mail_user.imap()
    conn.select("INBOX", readonly=True)
    seen = conn.uid("SEARCH", "SEEN")[1][0].split()
    conn.logout()
    assert len(seen) == 1
    assert client.patch(f"/api/v1/emails/{invoice['id']}", json={"category": "nonsense"}, headers=h).status_code == 422
    other = bearer(signed_up(client, "eve@example.com"))
    assert client.get(f"/api/v1/emails/{invoice['id']}", headers=other).status_code == 404
