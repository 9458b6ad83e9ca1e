"""Indexing mail and documents into the knowledge store (both backends), and graph questions over it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.integrations import embeddings
from openfyxer.integrations.graph_store import Ref, Step
from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.document import Document
from openfyxer.models.email import Email
from openfyxer.services.knowledge import entities, indexing
from tests.assistanthelpers import add_email, make_user_account
from tests.conftest import apply_env

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(params=["embedded", "neo4j"])
def store_kind(request, sqlite_url, monkeypatch):  # noqa: ANN001, ANN201
    if request.param == "neo4j":
        apply_env(monkeypatch, neo4j_url=request.getfixturevalue("neo4j_server").url)
    return request.param


def _mailbox(now: datetime):  # noqa: ANN202
    with session_scope() as s:
        user, account = make_user_account(s, address="ana.pop@mine.ro")
        budget = add_email(s, account, subject="Q2 budget numbers", sender="dan.matei@acme.ro", sender_name="Dan Matei",
                           body="Hi Ana,\n\nCould you send me the Q2 budget numbers for Project Apollo by Friday? "
                                "Copy maria@acme.ro, she prepares the board pack with Globex Ltd.\n\nDan",
                           received_at=now - timedelta(days=2))
        lunch = add_email(s, account, subject="Lunch on Tuesday", sender="eve@gmail.com", sender_name="Eve",
                          body="Are you free for lunch on Tuesday at noon?", received_at=now - timedelta(days=1),
                          category="fyi")
        sent = add_email(s, account, subject="Re: Q2 budget numbers", sender="ana.pop@mine.ro", to=["dan.matei@acme.ro"],
                         body="Dan, the numbers are attached.\n\n> Could you send me the Q2 budget numbers",
                         folder_role="sent", received_at=now - timedelta(days=1), category=None)
        old = add_email(s, account, subject="Old contract", sender="ana.pop@mine.ro", to=["ion@acme.ro"],
                        body="The contract from last year.", folder_role="sent", received_at=now - timedelta(days=60),
                        category=None)
        return user.id, account.id, {"budget": budget.id, "lunch": lunch.id, "sent": sent.id, "old": old.id}


def test_entities_are_found_by_plain_rules() -> None:
    found = entities.extract(sender="Dan.Matei@ACME.ro", sender_name="Dan Matei", recipients=["ana@gmail.com"],
                             subject="Re: Q2 budget numbers for the board",
                             text="Ask maria@acme.ro. Globex Ltd and Example SRL signed; the Apollo project and "
                                  "proiectul Zeus are late.")
    assert found.people == {"dan.matei@acme.ro": "Dan Matei", "ana@gmail.com": ""}
    assert found.companies["acme.ro"] == "Acme" and "gmail.com" not in found.companies  # a mail provider
    assert found.mentioned_people == {"maria@acme.ro"}
    assert found.mentioned_companies == {"globex", "example"}
    assert found.projects == {"apollo": "Apollo", "zeus": "Zeus"}
    assert found.topics == {"budget", "numbers", "board"}
    assert entities.company_domain("x@mail.acme.co.uk") == "acme.co.uk"
    parts = entities.chunks("word " * 600, size=900, overlap=150)
    assert len(parts) == 4 and all(len(p) <= 900 for p in parts)
    assert entities.chunks("") == []


def test_mail_is_indexed_once_and_answers_graph_questions(store_kind) -> None:  # noqa: ANN001
    """GIVEN a mailbox (a question from Acme, a personal invitation, a reply sent to Acme, an old one)
    WHEN the account is indexed (twice) THEN people, companies, projects and topics are in the graph once,
    "who at Acme have I emailed this month" and "what did Dan send about the budget" are answered by walks,
    the text is searchable by meaning, and the progress says everything is indexed."""
    now = datetime.now(UTC)
    user_id, account_id, ids = _mailbox(now)
    assert indexing.index_account(account_id=account_id) == 4
    store, me = get_store(), str(user_id)
    first = store.stats(me)

    with session_scope() as s:  # indexing again writes the same things
        for email in s.exec(select(Email)).all():
            email.indexed_at = None
    assert indexing.index_account(account_id=account_id) == 4
    assert store.stats(me) == first
    assert first["Email"] == 4 and first["Company"] >= 2 and first["chunks"] >= 4

    month = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    emailed = store.walk(me, Ref("Company", "acme.ro"), [
        Step("WORKS_AT", "Person", "in"), Step("RECEIVED", "Email", at_least=("date", month)),
        Step("RECEIVED", "Person", "in")])
    assert [p.key for p in emailed] == ["dan.matei@acme.ro"]  # not ion (last year), not maria (only mentioned)
    from_dan = store.walk(me, Ref("Person", "dan.matei@acme.ro"), [Step("SENT", "Email")])
    assert [e.props["subject"] for e in from_dan] == ["Q2 budget numbers"]
    assert store.node(me, Ref("Person", "dan.matei@acme.ro")).props["name"] == "Dan Matei"
    about = store.walk(me, Ref("Topic", "budget"), [Step("ABOUT", "Email", "in")])
    assert {e.key for e in about} == {str(ids["budget"]), str(ids["sent"])}
    assert [p.key for p in store.walk(me, Ref("Email", str(ids["budget"])), [Step("MENTIONS", "Project")])] == ["apollo"]

    hits = store.search(me, embeddings.embed_one("when are we having lunch?"), k=3)
    assert hits[0].item.key == str(ids["lunch"])
    hits = store.search(me, embeddings.embed_one("budget figures for the second quarter"), k=2)
    assert str(ids["budget"]) in {h.item.key for h in hits}
    # The reply's chunk is its own words, not the quoted question.
    sent_chunks = [h.text for h in store.search(me, embeddings.embed_one("numbers attached"), k=10)
                   if h.item.key == str(ids["sent"])]
    assert sent_chunks and all("Could you send me" not in t for t in sent_chunks)

    with session_scope() as s:
        progress = indexing.progress(s, user_id=user_id)
    assert (progress.emails, progress.emails_indexed) == (4, 4)


def test_a_document_is_indexed_linked_and_forgotten(store_kind) -> None:  # noqa: ANN001
    now = datetime.now(UTC)
    user_id, account_id, ids = _mailbox(now)
    indexing.index_account(account_id=account_id)
    with session_scope() as s:
        doc = Document(user_id=user_id, email_id=ids["sent"], filename="apollo-budget.txt", file_type="text/plain",
                       content_text="Project Apollo budget for Q2: 120,000 EUR for hardware and 40,000 EUR for travel.")
        s.add(doc)
        s.flush()
        doc_id = doc.id
    assert indexing.index_document(document_id=doc_id)
    store, me = get_store(), str(user_id)
    hits = store.search(me, embeddings.embed_one("how much is budgeted for travel?"), k=1, labels=("Document",))
    assert hits[0].item.key == str(doc_id) and hits[0].item.props["filename"] == "apollo-budget.txt"
    assert [d.key for d in store.walk(me, Ref("Email", str(ids["sent"])), [Step("HAS_ATTACHMENT", "Document")])] == [
        str(doc_id)]
    assert [p.key for p in store.walk(me, Ref("Document", str(doc_id)), [Step("RELATED_TO", "Project")])] == ["apollo"]
    with session_scope() as s:
        assert indexing.progress(s, user_id=user_id).documents_indexed == 1

    indexing.forget_document(user_id=user_id, document_id=doc_id)
    assert store.search(me, embeddings.embed_one("how much is budgeted for travel?"), k=5, labels=("Document",)) == []
    assert store.walk(me, Ref("Email", str(ids["sent"])), [Step("HAS_ATTACHMENT", "Document")]) == []


def test_a_source_is_the_part_of_its_chunk_nearest_the_question():
    """A long chunk is cut to the window holding the question's words, at word ends, with the cuts marked;
    a short one is given whole."""
    from openfyxer.services.knowledge import rag

    filler = "The office moves in spring and the kitchen gets new chairs for everyone on the floor. " * 4
    text = filler + "The Apollo invoice number is INV-2291 and it is due on 14 March. " + filler
    wanted = rag._content_words("What is the Apollo invoice number?")
    piece = rag.focus(text, wanted, size=120)
    assert "INV-2291" in piece and piece.startswith("…") and piece.endswith("…")
    assert len(piece) <= 122 and not piece.rstrip("…").endswith(("numb", "Apol"))
    assert rag.focus("Short text.", wanted) == "Short text."
