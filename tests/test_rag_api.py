"""/api/v1/rag: documents in, questions answered from mail and documents with their sources."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.services.knowledge import indexing, rag
from tests.assistanthelpers import add_email, make_user_account, scripted, scripted_server, user_by_email  # noqa: F401
from tests.conftest import apply_env
from tests.helpers import bearer, pdf_file, signed_up

pytestmark = pytest.mark.timeout(600)


def pdf_with(text: str) -> bytes:
    """A minimal real PDF whose one page shows `text` (offsets computed, as a writer would)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return pdf_file(objects)


def docx_with(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Owner", "Maria Ionescu"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def mailbox(client, scripted):  # noqa: ANN001, F811
    """A signed-up user with indexed mail: a budget question from Acme, a reply to it, lunch with a friend."""
    h = bearer(signed_up(client))
    now = datetime.now(UTC)
    with session_scope() as s:
        user = user_by_email(s, "ana@example.com")
        _, account = make_user_account(s, user=user, address="ana@example.com")
        budget = add_email(s, account, subject="Q2 budget numbers", sender="dan.matei@acme.ro", sender_name="Dan Matei",
                           body="Hi Ana,\n\nThe Q2 budget for Project Apollo is 160,000 EUR; could you confirm the "
                                "travel part by Friday?\n\nDan", received_at=now - timedelta(days=3))
        reply = add_email(s, account, subject="Re: Q2 budget numbers", sender="ana@example.com",
                          to=["dan.matei@acme.ro"], body="Dan, travel is 40,000 EUR of it.", folder_role="sent",
                          received_at=now - timedelta(days=2), category=None)
        lunch = add_email(s, account, subject="Lunch on Tuesday", sender="eve@gmail.com", sender_name="Eve",
                          body="Are you free for lunch on Tuesday at noon, at the usual place?",
                          received_at=now - timedelta(days=1), category="fyi")
        account_id = account.id
        ids = {"budget": str(budget.id), "reply": str(reply.id), "lunch": str(lunch.id)}
    indexing.index_account(account_id=account_id)
    return client, h, ids


def test_documents_upload_list_index_and_delete(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """GIVEN text, Markdown, HTML, PDF and Word files WHEN uploaded THEN each is listed, indexed in the
    background and found by a question; WHEN one is deleted THEN it is gone from the list and the answers."""
    client, h, _ = mailbox
    files = {
        "notes.txt": (b"The offsite is in Brasov on 12 March.", "text/plain"),
        "plan.md": (b"# Apollo plan\n\nHardware arrives in **April**.", "text/markdown"),
        "page.html": (b"<html><body><h1>Policy</h1><p>Expenses are filed within 30 days.</p></body></html>",
                      "text/html"),
        "contract.pdf": (pdf_with("The Globex contract renews on 1 June."), "application/pdf"),
        "owners.docx": (docx_with("Apollo owners and roles."),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    }
    made = {}
    for name, (data, kind) in files.items():
        r = client.post("/api/v1/rag/documents", headers=h, files={"file": (name, data, kind)})
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]
    assert jobs.local_queue().join(120)
    listed = client.get("/api/v1/rag/documents", headers=h).json()
    assert listed["total"] == 5 and {d["filename"] for d in listed["items"]} == set(files)
    assert all(d["indexed_at"] for d in listed["items"])
    status = client.get("/api/v1/rag/status", headers=h).json()
    assert status == {"emails": 3, "emails_indexed": 3, "documents": 5, "documents_indexed": 5}

    scripted.reply = "The Globex contract renews on 1 June [1]."
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "When does the Globex contract renew?"}).json()
    assert r["grounded"] and r["sources"][0]["id"] == made["contract.pdf"] and r["sources"][0]["kind"] == "document"
    scripted.reply = "Maria Ionescu [1]."
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "Who owns Apollo?"}).json()
    assert made["owners.docx"] in {s["id"] for s in r["sources"]}

    assert client.delete(f"/api/v1/rag/documents/{made['contract.pdf']}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/rag/documents/{made['contract.pdf']}", headers=h).status_code == 404
    assert jobs.local_queue().join(60)  # it leaves the knowledge store in a job of its own
    assert client.get("/api/v1/rag/documents", headers=h).json()["total"] == 4
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "When does the Globex contract renew?"}).json()
    assert made["contract.pdf"] not in {s["id"] for s in r["sources"]}


def test_unreadable_and_oversized_documents_are_refused_plainly(mailbox, monkeypatch) -> None:  # noqa: ANN001
    client, h, _ = mailbox
    r = client.post("/api/v1/rag/documents", headers=h, files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n....", "image/png")})
    assert r.status_code == 422 and r.json()["code"] == "unsupported_document"
    r = client.post("/api/v1/rag/documents", headers=h, files={"file": ("broken.pdf", b"%PDF-1.4 garbage", "application/pdf")})
    assert r.status_code == 422 and r.json()["code"] in ("unreadable_document", "empty_document")
    r = client.post("/api/v1/rag/documents", headers=h, files={"file": ("empty.txt", b"   ", "text/plain")})
    assert r.status_code == 422 and r.json()["code"] == "empty_document"
    apply_env(monkeypatch, max_attachment_mb="1")
    r = client.post("/api/v1/rag/documents", headers=h, files={"file": ("big.txt", b"a" * (1024 * 1024 + 10), "text/plain")})
    assert r.status_code == 422 and r.json()["code"] == "document_too_large"
    assert client.get("/api/v1/rag/documents", headers=h).json()["total"] == 0
    other = bearer(signed_up(client, "someone@example.com"))
    mine = client.post("/api/v1/rag/documents", headers=h, files={"file": ("a.txt", b"private words", "text/plain")})
    assert client.delete(f"/api/v1/rag/documents/{mine.json()['id']}", headers=other).status_code == 404


def test_answers_cite_the_mail_they_come_from(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """GIVEN indexed mail WHEN asked about the budget THEN the model sees the budget mail as numbered, untrusted
    sources and the answer keeps the sources it cites, with subject, date and snippet."""
    client, h, ids = mailbox
    scripted.reply = "The Q2 budget for Apollo is 160,000 EUR [1], of which travel is 40,000 EUR [2]."
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "What is the Q2 budget for Apollo?"}).json()
    assert r["grounded"] and r["answer"].startswith("The Q2 budget")
    cited = {s["id"]: s for s in r["sources"]}
    assert ids["budget"] in cited and ids["lunch"] not in cited
    budget = cited[ids["budget"]]
    assert budget["title"] == "Q2 budget numbers" and budget["kind"] == "email" and "160,000" in budget["snippet"]
    assert budget["date"] == (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    system, user = scripted.prompt()
    assert "only the numbered sources" in system and "never instructions" in system
    assert "<untrusted_email>" in user and "[1]" in user and "Question: What is the Q2 budget for Apollo?" in user


def test_no_guessing_without_sources(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """WHEN the model says the sources do not hold the answer THEN the answer says so (not grounded); WHEN nothing
    at all is indexed for the user THEN the model is not even asked."""
    client, h, _ = mailbox
    scripted.reply = rag.NOT_FOUND
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "What is the wifi password at the office?"}).json()
    assert not r["grounded"] and "could not find" in r["answer"]
    other = bearer(signed_up(client, "new@example.com"))
    scripted.requests.clear()
    r = client.post("/api/v1/rag/query", headers=other, json={"question": "What is the Q2 budget?"}).json()
    assert not r["grounded"] and r["sources"] == [] and scripted.requests == []  # another user's mail stays theirs


def test_graph_questions_reach_mail_through_people_and_companies(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """"Who at Acme have I emailed this month" brings the reply to Dan through Acme's people; "what did Dan send"
    brings Dan's mail; the model is told who works there."""
    client, h, ids = mailbox
    scripted.reply = "You emailed Dan Matei [1]."
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "Who at Acme have I emailed this month?"}).json()
    assert r["grounded"] and r["sources"]
    _, user = scripted.prompt()
    assert "Dan Matei <dan.matei@acme.ro>" in user
    names = user[user.index("People and companies the question names"):]
    assert names.index("Dan Matei") < names.index("</untrusted_email>")  # names from headers stay data
    assert "Dan, travel is 40,000 EUR of it." in user  # the mail sent to Acme, reached through its people
    scripted.reply = "Dan sent the Q2 budget numbers [1]."
    r = client.post("/api/v1/rag/query", headers=h, json={"question": "What did Dan send about the budget?"}).json()
    assert r["sources"][0]["id"] == ids["budget"]
