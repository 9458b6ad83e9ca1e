"""The knowledge base's documents: uploads (and the attachments of synced mail) with their text."""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path, PurePath

from sqlalchemy import func
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.models.document import Document
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.knowledge import doctext
from openfyxer.services.mail.mailstore import save_blob

log = logging.getLogger(__name__)


def safe_name(filename: str | None) -> str:
    """Only the file's own name (a browser may send a path), printable, at most 255 characters."""
    name = PurePath((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "document"
    return name[-255:]


def add(session: Session, *, user: User, filename: str | None, content_type: str | None, data: bytes,
        ip: str | None = None) -> Document:
    """Check the size, read the text (refusing what cannot be read), keep the file, record it; the
    knowledge store indexes it in the background."""
    limit = get_settings().max_attachment_mb * 1024 * 1024
    if len(data) > limit:
        raise ValidationError(f"the document is {len(data) / 1048576:.1f} MB; the limit is "
                              f"{get_settings().max_attachment_mb} MB", code="document_too_large")
    name = safe_name(filename)
    text = doctext.extract(name, content_type, data)
    digest = hashlib.sha256(data).hexdigest()
    doc = Document(user_id=user.id, filename=name, file_type=(content_type or "").split(";")[0][:255] or None,
                   file_size=len(data), storage_path=save_blob(data, digest), sha256=digest, content_text=text)
    session.add(doc)
    session.flush()
    audit.record(session, action="document.upload", user_id=user.id, entity_type="document", entity_id=doc.id,
                 details={"filename": name, "size": len(data)}, ip=ip)
    later(session, "index_document", doc.id, owner=user.id)
    return doc


def list_documents(session: Session, *, user: User, source: str = "upload", limit: int = 50,
                   offset: int = 0) -> tuple[list[Document], int]:
    """Uploads ("upload"), attachments of synced mail ("mail") or both ("all"), newest first."""
    where = [Document.user_id == user.id]
    if source == "upload":
        where.append(Document.email_id.is_(None))
    elif source == "mail":
        where.append(Document.email_id.is_not(None))
    total = session.exec(select(func.count()).select_from(Document).where(*where)).one()
    rows = session.exec(select(Document).where(*where).order_by(Document.created_at.desc(), Document.id)
                        .limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get(session: Session, *, user: User, document_id: uuid.UUID) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or doc.user_id != user.id:
        raise NotFound("no such document")
    return doc


def remove(session: Session, *, user: User, document_id: uuid.UUID, ip: str | None = None) -> None:
    """Delete the record and, if nothing else shares it, the file; it leaves the knowledge store in a
    job after the commit (the embedded store writes to the same database)."""
    doc = get(session, user=user, document_id=document_id)
    path = doc.storage_path
    session.delete(doc)
    session.flush()
    if path and not session.exec(select(Document.id).where(Document.storage_path == path)).first():
        (get_settings().data_dir / Path(path)).unlink(missing_ok=True)
    audit.record(session, action="document.delete", user_id=user.id, entity_type="document", entity_id=document_id,
                 details={"filename": doc.filename}, ip=ip)
    later(session, "forget_document", user.id, document_id, owner=user.id)


def text_of(doc: Document) -> str | None:
    """A saved attachment's text, read from its file once, on first need (sync does not parse
    documents). One that cannot be read, or costs too much to, keeps "" as its text: it is indexed
    by its name, never read again, and the reason is logged and kept in the owner's audit trail."""
    if doc.content_text is not None or not doc.storage_path:
        return doc.content_text
    path = get_settings().data_dir / Path(doc.storage_path)
    if not path.exists():
        return None
    try:
        doc.content_text = doctext.extract(doc.filename or "", doc.file_type, path.read_bytes())
    except ValidationError as e:
        doc.content_text = ""  # final: the same file would fail again, at the parser's full cost each time
        if e.code != "unsupported_document":  # a picture or a spreadsheet is not a failure
            log.warning("document %s not read: %s", doc.id, e.message)
            if (session := object_session(doc)) is not None:
                audit.record(session, action="document.unreadable", user_id=doc.user_id, entity_type="document",
                             entity_id=doc.id, details={"filename": doc.filename, "code": e.code, "reason": e.message})
    return doc.content_text
