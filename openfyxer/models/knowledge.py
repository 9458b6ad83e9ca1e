"""The knowledge base's tables: the chat history, and the embedded store's graph (nodes, edges) and
text chunks with their embeddings (its vector index is built from these in memory; with Neo4j
configured those three stay empty)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow


class KgNode(SQLModel, table=True):
    __tablename__ = "kg_nodes"
    __table_args__ = (UniqueConstraint("user_id", "label", "key", name="uq_kg_nodes_key"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    label: str = Field(sa_column=Column(String(20), nullable=False))
    key: str = Field(sa_column=Column(String(500), nullable=False))
    props: dict = Field(default_factory=dict, sa_type=JSONType)


class KgEdge(SQLModel, table=True):
    __tablename__ = "kg_edges"
    __table_args__ = (
        UniqueConstraint("src_id", "rel", "dst_id", name="uq_kg_edges"),
        Index("ix_kg_edges_dst", "dst_id", "rel"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                                index=True))
    src_id: int = Field(sa_column=Column(ForeignKey("kg_nodes.id", ondelete="CASCADE"), nullable=False))
    rel: str = Field(sa_column=Column(String(30), nullable=False))
    dst_id: int = Field(sa_column=Column(ForeignKey("kg_nodes.id", ondelete="CASCADE"), nullable=False))


class KgChunk(SQLModel, table=True):
    __tablename__ = "kg_chunks"
    __table_args__ = (UniqueConstraint("node_id", "ordinal", name="uq_kg_chunks"),
                      Index("ix_kg_chunks_user", "user_id", "id"))

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    node_id: int = Field(sa_column=Column(ForeignKey("kg_nodes.id", ondelete="CASCADE"), nullable=False))
    ordinal: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, unit length


class ChatMessage(SQLModel, table=True):
    """One turn of the user's conversation with their mail and documents."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_user_created", "user_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    role: str = Field(sa_column=Column(String(10), nullable=False))  # "user" | "assistant"
    content: str = Field(sa_column=Column(Text, nullable=False))
    # The assistant's sources as the API returns them (kind, id, title, date, snippet, score, n).
    sources: list = Field(default_factory=list, sa_type=JSONType)
    grounded: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
