"""Meetings: the upload's name, size and state, transcription progress, and the transcript's segments

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Server defaults only so that rows made before this revision (there were none: nothing wrote the
# table) would get values; the models set every column themselves.
NEW_COLUMNS = (
    ('title', sa.String(length=300), ''),
    ('filename', sa.String(length=255), ''),
    ('file_size', sa.Integer(), '0'),
    ('status', sa.String(length=20), 'queued'),
    ('samples', sa.Integer(), '0'),
    ('done_samples', sa.Integer(), '0'),
    ('chunks_done', sa.Integer(), '0'),
    ('language_forced', sa.Boolean(), sa.false()),
)


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        for name, kind, default in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, server_default=default, nullable=False))
        batch_op.add_column(sa.Column('error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))

    op.create_table('transcript_segments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('chunk_index', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('speaker', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'chunk_index', 'seq', name='uq_transcript_segments_place'),
    )


def downgrade() -> None:
    op.drop_table('transcript_segments')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        for name in ('language', 'error', *(c[0] for c in reversed(NEW_COLUMNS))):
            batch_op.drop_column(name)
