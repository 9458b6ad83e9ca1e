"""knowledge store: the embedded graph (nodes, edges), text chunks with their embeddings, emails.indexed_at, chat history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:46:04.911471
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('chat_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('grounded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('kg_nodes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('props', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'label', 'key', name='uq_kg_nodes_key')
    )
    op.create_table('kg_chunks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['kg_nodes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('node_id', 'ordinal', name='uq_kg_chunks')
    )
    with op.batch_alter_table('kg_chunks', schema=None) as batch_op:
        batch_op.create_index('ix_kg_chunks_user', ['user_id', 'id'], unique=False)

    op.create_table('kg_edges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('src_id', sa.Integer(), nullable=False),
    sa.Column('rel', sa.String(length=30), nullable=False),
    sa.Column('dst_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dst_id'], ['kg_nodes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['src_id'], ['kg_nodes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('src_id', 'rel', 'dst_id', name='uq_kg_edges')
    )
    with op.batch_alter_table('kg_edges', schema=None) as batch_op:
        batch_op.create_index('ix_kg_edges_dst', ['dst_id', 'rel'], unique=False)
        batch_op.create_index(batch_op.f('ix_kg_edges_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('kg_edges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kg_edges_user_id'))
        batch_op.drop_index('ix_kg_edges_dst')

    op.drop_table('kg_edges')
    with op.batch_alter_table('kg_chunks', schema=None) as batch_op:
        batch_op.drop_index('ix_kg_chunks_user')

    op.drop_table('kg_chunks')
    op.drop_table('kg_nodes')
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_user_created')

    op.drop_table('chat_messages')
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_column('indexed_at')
