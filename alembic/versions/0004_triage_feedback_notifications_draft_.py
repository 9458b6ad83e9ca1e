"""triage feedback notifications draft flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:50:55.824682
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('email_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['email_id'], ['emails.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind', 'email_id', name='uq_notifications_once')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('triage_feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=True),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['email_id'], ['emails.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'email_id', name='uq_triage_feedback_user_email')
    )
    with op.batch_alter_table('triage_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_feedback_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))

    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_reply', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('triage_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('triaged_by', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_column('triaged_by')
        batch_op.drop_column('triage_reason')
        batch_op.drop_column('needs_reply')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('flags')
        batch_op.drop_column('language')

    with op.batch_alter_table('triage_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_feedback_user_id'))

    op.drop_table('triage_feedback')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))

    op.drop_table('notifications')
