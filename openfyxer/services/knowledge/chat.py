"""The chat: a conversation with the user's mail and documents, over the same retrieval as
/rag/query, kept per user. The model sees the last few turns, so "and in April?" follows on.
A question about the state of the mailbox ("what do I need to reply to today?") is answered by
rag.prepare from a fixed, read-only list (inbox_queries), with the text already written."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.models.knowledge import ChatMessage
from openfyxer.models.knowledge_api import Answer
from openfyxer.models.user import User
from openfyxer.services.assistant import prompts
from openfyxer.services.knowledge import rag

TURNS = 4  # earlier exchanges the model sees
SHORT = 8  # words: a message this short is read together with the one before it


def history(session: Session, *, user: User, limit: int = 50) -> list[ChatMessage]:
    """The latest `limit` messages, oldest first."""
    rows = session.exec(select(ChatMessage).where(ChatMessage.user_id == user.id)
                        .order_by(ChatMessage.created_at.desc(), ChatMessage.id).limit(limit)).all()
    return list(reversed(rows))


def prepare(session: Session, *, user: User, message: str) -> rag.Prepared:
    earlier = history(session, user=user, limit=TURNS * 2)
    turns = [{"role": m.role, "content": prompts.defuse(m.content, 1500)} for m in earlier]
    last_question = next((m.content for m in reversed(earlier) if m.role == "user"), "")
    search = f"{last_question} {message}" if last_question and len(message.split()) < SHORT else None
    return rag.prepare(session, user=user, question=message, history=turns, search=search)


def save(session: Session, *, user: User, message: str, answer: Answer) -> ChatMessage:
    """The question and its answer (with its sources), written after the model has answered."""
    now = datetime.now(UTC)
    session.add(ChatMessage(user_id=user.id, role="user", content=message, created_at=now))
    reply = ChatMessage(user_id=user.id, role="assistant", content=answer.answer, grounded=answer.grounded,
                        sources=[s.model_dump(mode="json") for s in answer.sources],
                        created_at=now.replace(microsecond=min(now.microsecond + 1, 999_999)))
    session.add(reply)
    session.flush()
    return reply


def reply(session: Session, *, user: User, message: str) -> ChatMessage:
    """Ask and keep both sides: the model answers before anything is written (one SQLite writer)."""
    return save(session, user=user, message=message, answer=rag.complete(prepare(session, user=user, message=message)))


def clear(session: Session, *, user: User) -> int:
    return session.execute(delete(ChatMessage).where(ChatMessage.user_id == user.id)).rowcount or 0
