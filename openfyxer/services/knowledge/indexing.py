"""The knowledge base: mail and documents into the graph and the vector index, and how far that is.

An email becomes an (:Email) node (subject, date, category, folder), (:Person) nodes for its sender
and recipients with SENT / RECEIVED edges and WORKS_AT their (:Company), MENTIONS of people,
companies and projects, ABOUT its topics (services.entities), and chunks of its new text (the
quoted thread is left to the messages it came from) embedded with the packaged MiniLM model.
A document becomes a (:Document) node with its chunks, HAS_ATTACHMENT from the email that brought
it, and RELATED_TO the projects it names. Indexing the same item again writes the same things.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from openfyxer.core.db import session_scope
from openfyxer.integrations import embeddings
from openfyxer.integrations.graph_store import Batch, Chunk, Node, Ref
from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.account import EmailAccount
from openfyxer.models.document import Document
from openfyxer.models.email import Email
from openfyxer.services.knowledge import documents, entities
from openfyxer.services.mail.accounts import owned_ids
from openfyxer.services.assistant.classify_text import new_text

BATCH = 64
DOCUMENT_CHUNKS = 300  # about 180,000 characters of a document are searchable


def iso(value: datetime | None) -> str | None:
    """Dates in the graph: UTC, second precision, as text (compares correctly as text)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if value else None


def email_text(email: Email) -> str:
    return f"{email.subject or ''}\n{new_text(email.body_text or '')}".strip()


def email_batch(email: Email, vectors: list, texts: list[str]) -> Batch:
    found = entities.extract(sender=email.sender, sender_name=email.sender_name,
                             recipients=[*(email.recipients or []), *(email.cc or [])], subject=email.subject,
                             text=new_text(email.body_text or ""))
    me = Ref("Email", str(email.id))
    batch = Batch(nodes=[Node("Email", me.key, {
        "subject": email.subject or "", "date": iso(email.received_at), "category": email.category or "",
        "folder": email.folder_role or "", "sender": email.sender or "", "thread_id": email.thread_id or "",
        "account_id": str(email.account_id)})])
    for address, name in found.people.items():
        batch.nodes.append(Node("Person", address, {"email": address, **({"name": name} if name else {})}))
        if domain := entities.company_domain(address):
            batch.edges.append((Ref("Person", address), "WORKS_AT", Ref("Company", domain)))
    for key, name in found.companies.items():
        batch.nodes.append(Node("Company", key, {"name": name, **({"domain": key} if "." in key else {})}))
    if email.sender:
        batch.edges.append((Ref("Person", email.sender.lower()), "SENT", me))
    for address in [*(email.recipients or []), *(email.cc or [])]:
        if "@" in (address or ""):
            batch.edges.append((Ref("Person", address.lower()), "RECEIVED", me))
    for address in found.mentioned_people:
        batch.nodes.append(Node("Person", address, {"email": address}))
        batch.edges.append((me, "MENTIONS", Ref("Person", address)))
    for key in found.mentioned_companies:
        batch.edges.append((me, "MENTIONS", Ref("Company", key)))
    for key, name in found.projects.items():
        batch.nodes.append(Node("Project", key, {"name": name}))
        batch.edges.append((me, "MENTIONS", Ref("Project", key)))
    for topic in found.topics:
        batch.nodes.append(Node("Topic", topic, {"name": topic}))
        batch.edges.append((me, "ABOUT", Ref("Topic", topic)))
    batch.chunks[me] = [Chunk(i, text, vector) for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))]
    return batch


def _owner(session: Session, account_id: uuid.UUID) -> uuid.UUID | None:
    return session.exec(select(EmailAccount.user_id).where(EmailAccount.id == account_id)).first()


def index_account(*, account_id: uuid.UUID, limit: int | None = None) -> int:
    """Index the account's mail that is not indexed yet, a batch at a time; returns how many.

    The store is written between database transactions, never inside one: the embedded store
    writes to the same SQLite file, which has one writer at a time."""
    done = 0
    store = get_store()
    while limit is None or done < limit:
        with session_scope() as s:
            user_id = _owner(s, account_id)
            rows = s.exec(select(Email).where(Email.account_id == account_id, Email.indexed_at.is_(None))
                          .order_by(Email.received_at.desc()).limit(BATCH if limit is None else min(BATCH, limit - done))
                          ).all() if user_id else []
        if not rows:
            break
        texts = [entities.chunks(email_text(e)) for e in rows]
        flat = [t for ts in texts for t in ts]
        vectors = list(embeddings.embed(flat)) if flat else []
        at = 0
        batch = Batch()
        for email, ts in zip(rows, texts, strict=True):
            one = email_batch(email, vectors[at:at + len(ts)], ts)
            at += len(ts)
            batch.nodes += one.nodes
            batch.edges += one.edges
            batch.chunks |= one.chunks
        store.write(str(user_id), batch)
        with session_scope() as s:
            s.execute(update(Email).where(Email.id.in_([e.id for e in rows])).values(indexed_at=datetime.now(UTC)))
        done += len(rows)
    # Then the files that came with the mail.
    with session_scope() as s:
        docs = s.exec(select(Document.id).join(Email, Email.id == Document.email_id)
                      .where(Email.account_id == account_id, Document.indexed_at.is_(None))).all()
    for document_id in docs:
        index_document(document_id=document_id)
    return done


def index_document(*, document_id: uuid.UUID) -> bool:
    """Index one document's text (uploaded, or saved from an email); False if it is gone."""
    with session_scope() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            return False
        if doc.content_text is None and (text := documents.text_of(doc)):
            doc.content_text = text  # an attachment, read once
        user_id, email_id, filename, text = doc.user_id, doc.email_id, doc.filename or "", doc.content_text or ""
        file_type, created = doc.file_type or "", doc.created_at
    me = Ref("Document", str(document_id))
    texts = entities.chunks(f"{filename}\n{text}", limit=DOCUMENT_CHUNKS)
    vectors = list(embeddings.embed(texts)) if texts else []
    batch = Batch(nodes=[Node("Document", me.key, {"filename": filename, "type": file_type, "date": iso(created)})])
    if email_id:
        batch.edges.append((Ref("Email", str(email_id)), "HAS_ATTACHMENT", me))
    for key, name in entities.extract(sender=None, sender_name=None, recipients=[], subject=filename,
                                      text=text).projects.items():
        batch.nodes.append(Node("Project", key, {"name": name}))
        batch.edges.append((me, "RELATED_TO", Ref("Project", key)))
    batch.chunks[me] = [Chunk(i, t, v) for i, (t, v) in enumerate(zip(texts, vectors, strict=True))]
    get_store().write(str(user_id), batch)
    with session_scope() as s:
        s.execute(update(Document).where(Document.id == document_id).values(indexed_at=datetime.now(UTC)))
    return True


def forget_document(*, user_id: uuid.UUID, document_id: uuid.UUID) -> None:
    get_store().delete(str(user_id), Ref("Document", str(document_id)))


def forget_account(*, user_id: uuid.UUID, account_id: uuid.UUID) -> int:
    """A removed account's mail leaves the knowledge store too (people and companies stay: other
    accounts may know them)."""
    return get_store().delete_account_mail(str(user_id), str(account_id))


@dataclass
class Progress:
    emails: int
    emails_indexed: int
    documents: int
    documents_indexed: int


def progress(session: Session, *, user_id: uuid.UUID) -> Progress:
    emails_total, emails_done = session.exec(select(func.count(Email.id), func.count(Email.indexed_at))
                                             .where(Email.account_id.in_(owned_ids(user_id)))).one()
    docs_total, docs_done = session.exec(select(func.count(Document.id), func.count(Document.indexed_at))
                                         .where(Document.user_id == user_id)).one()
    return Progress(emails_total, emails_done, docs_total, docs_done)
