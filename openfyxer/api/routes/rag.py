"""/api/v1/rag: documents for the knowledge base, indexing progress, and questions with sources."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut, InvalidOut
from openfyxer.core.config import get_settings
from openfyxer.core.errors import ValidationError
from openfyxer.models.knowledge_api import Answer, DocumentList, DocumentPublic, IndexProgress, Question
from openfyxer.services.knowledge import documents, indexing, rag

router = APIRouter(prefix="/rag", tags=["knowledge"], responses=ERRORS)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such document"}}


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=DocumentPublic,
             responses={422: {"model": InvalidOut, "description": "No file, too large, or not a readable document"}})
def upload(caller: CurrentCaller, db: DB, file: Annotated[UploadFile, File()]) -> DocumentPublic:
    """PDF, Word (.docx), HTML, Markdown or text; indexed in the background (see /rag/status)."""
    # A plain `def`: FastAPI runs it in a worker thread, so reading the file (in a sandboxed
    # process, for up to doctext.LIMITS) never holds up the event loop and everyone else's requests.
    limit = get_settings().max_attachment_mb * 1024 * 1024
    data = file.file.read(limit + 1)  # never more than the limit in memory (the body is spooled already)
    if len(data) > limit:
        raise ValidationError(f"the document is over the {get_settings().max_attachment_mb} MB limit",
                              code="document_too_large")
    doc = documents.add(db, user=caller.user, filename=file.filename, content_type=file.content_type, data=data,
                        ip=caller.ip)
    db.commit()
    return DocumentPublic.model_validate(doc)


@router.get("/documents", response_model=DocumentList)
def list_documents(caller: CurrentCaller, db: DB,
                   source: Annotated[str, Query(pattern="^(upload|mail|all)$")] = "upload",
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> DocumentList:
    rows, total = documents.list_documents(db, user=caller.user, source=source, limit=limit, offset=offset)
    return DocumentList(items=[DocumentPublic.model_validate(d) for d in rows], total=total)


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
def delete_document(document_id: uuid.UUID, caller: CurrentCaller, db: DB) -> None:
    documents.remove(db, user=caller.user, document_id=document_id, ip=caller.ip)
    db.commit()


@router.get("/status", response_model=IndexProgress)
def index_status(caller: CurrentCaller, db: DB) -> IndexProgress:
    p = indexing.progress(db, user_id=caller.user.id)
    return IndexProgress(emails=p.emails, emails_indexed=p.emails_indexed, documents=p.documents,
                         documents_indexed=p.documents_indexed)


@router.post("/query", response_model=Answer)
def query(body: Question, caller: CurrentCaller, db: DB) -> Answer:
    return rag.answer(db, user=caller.user, question=body.question, k=body.k)
