"""What the user does with a message: star, done, snooze, and a change not yet mirrored to the server

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 21:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starred', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mirror_pending_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        for name in ('mirror_pending_at', 'snoozed_until', 'done_at', 'starred'):
            batch_op.drop_column(name)
