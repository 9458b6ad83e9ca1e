"""Meeting minutes: attendees, when the meeting began, the minutes as one JSON document with their
status and the job's progress, the follow-up draft, and the reminders action items become

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# Server defaults so that meetings made before this revision get values; the model sets them itself.
NEW_COLUMNS = (
    ('attendees', JSON, sa.text("'[]'")),
    ('minutes', JSON, sa.text("'{}'")),
    ('minutes_status', sa.String(length=20), 'none'),
    ('minutes_edited', sa.Boolean(), sa.false()),
    ('minutes_work', JSON, sa.text("'{}'")),
    ('minutes_generation', sa.Integer(), '0'),
)


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        for name, kind, default in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, server_default=default, nullable=False))
        batch_op.add_column(sa.Column('minutes_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('follow_up_draft_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key('fk_meetings_follow_up_draft_id', 'drafts', ['follow_up_draft_id'], ['id'],
                                    ondelete='SET NULL')
    # A meeting uploaded before this revision began, as far as anyone knows, when it was uploaded.
    op.execute("UPDATE meetings SET started_at = created_at WHERE started_at IS NULL")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('started_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table('meeting_reminders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('what', sa.String(length=500), nullable=False),
    sa.Column('owner', sa.String(length=300), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'item_id', name='uq_meeting_reminders_item'),
    )
    with op.batch_alter_table('meeting_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_reminders_state_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_reminders_state_due')
    op.drop_table('meeting_reminders')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meetings_follow_up_draft_id', type_='foreignkey')
        for name in ('follow_up_draft_id', 'started_at', 'minutes_error', *(c[0] for c in reversed(NEW_COLUMNS))):
            batch_op.drop_column(name)
